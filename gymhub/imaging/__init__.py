"""Pure, synchronous checks and conversions of uploads, run in a process pool.

Paths in, small picklable dicts out; nothing here imports the rest of gymhub.
"""

from .documents import inspect_document
from .errors import ImagingError, InvalidFile, UnsupportedType
from .images import process_image
from .sniff import DOCUMENT_MIMES, IMAGE_MIMES, plausible, sniff_bytes
from .worker import init_worker, warm_up

__all__ = [
    "DOCUMENT_MIMES",
    "IMAGE_MIMES",
    "ImagingError",
    "InvalidFile",
    "UnsupportedType",
    "init_worker",
    "inspect_document",
    "plausible",
    "process_image",
    "sniff_bytes",
    "warm_up",
]
