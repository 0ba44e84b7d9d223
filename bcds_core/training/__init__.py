"""Training of the U-Net and the classifier: resumable loops that log to a file."""
