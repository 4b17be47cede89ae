"""WatchNext: real-time recommendations by email, on Amazon Personalize or on one laptop."""

__version__ = "0.1.0"
