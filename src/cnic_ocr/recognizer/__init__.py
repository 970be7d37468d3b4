"""CNIC front recognizer: image bytes → the contract's answer (see ``service.Recognizer``)."""

from cnic_ocr.recognizer.service import Recognizer, get_recognizer

__all__ = ["Recognizer", "get_recognizer"]
