"""The words of the interface in Chinese and English."""
