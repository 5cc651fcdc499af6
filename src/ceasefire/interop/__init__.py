"""The coalition's tools: OGC API – Features layers, map exports (and their shared source).

Every layer here is read through the HQ API's own functions for one reader, so a layer shows
a reader exactly what ``/api`` shows them (docs/ogc.md, docs/exports.md).
"""
