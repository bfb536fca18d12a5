"""nvmeprobe: characterise NVMe drives for AI storage."""

__version__ = "0.1.0"
