"""One reader per document format, behind ``retrieval.loaders.read_document``.

Each reader takes a file's bytes and name and returns its text blocks in reading order:
``text`` (txt, md), ``html``, ``word`` (docx, doc/wps), ``excel`` (xlsx, xls/et), ``pdf`` (text
layer, OCR for scanned pages), ``ofd`` (GB/T 33190), ``image`` (OCR). ``sniff`` tells the format
from the bytes, ``ocr`` turns page images into lines, ``common`` holds what they share. Like the
rest of ``retrieval``, nothing here knows about settings, HTTP or the task registry.
"""
