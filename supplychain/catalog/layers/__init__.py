"""Image layers, read without ever extracting them.

A layer blob flows through :mod:`.decompress` (bounded gzip/zstd/none, magic bytes checked),
:mod:`supplychain._internal.tarstream` (our own header reader, shared with the archive
indexer: long names are bounded before they are read) and
:mod:`.scan` (one :class:`~.index.LayerIndex` of metadata plus the few member contents a
cataloger asked for). :mod:`.squash` folds the indexes of an image bottom-to-top into a
read-only :class:`~supplychain.catalog.fileview.FileView`; :mod:`.cache` keeps indexes between
runs so layers shared by images are read once.
"""
