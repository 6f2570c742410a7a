"""Shipped with the job through python.pyFiles."""
import unicodedata


def normalized(word):
    return unicodedata.normalize("NFKC", word).strip().lower()
