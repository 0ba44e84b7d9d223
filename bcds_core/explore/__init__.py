"""Dataset exploration for students: counts, colour histograms, radial signatures.

One job per module, numpy / OpenCV only (no Streamlit, no plotting):

- ``dataset_summary``: class balance, split counts and image sizes of a folder.
- ``gallery``: seeded, paged picks of images per class for the galleries.
- ``cell_centre``: the cell mask (U-Net, or the derived mask as a fallback) and its centre.
- ``colour_histograms``: RGB and HSV histograms inside the cell mask and outside it.
- ``radial_signatures``: mean colour against the distance to the cell centre.
- ``nearest_signature``: the nearest-class-signature classifier and its confusion matrix.
- ``outliers``: the images farthest from their own class signature, with thumbnails.
- ``compute``: runs all of the above over a PBC-layout folder.
- ``stats_files``: writes and reads the small statistics files the pages show.
"""
