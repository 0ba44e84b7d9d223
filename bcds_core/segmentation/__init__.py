"""Segmentation of the cell an image is about: derived masks, the U-Net, mask features."""
