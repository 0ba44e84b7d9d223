"""bcds core: blood-cell classification with explanations, without any UI.

Data indexing and splits, safe image decoding, U-Net masking, the classifier,
explanations, exploration statistics, training, evaluation and the command
line live here. The Streamlit app imports this package; this package never
imports Streamlit.
"""

__version__ = "0.1.0"
