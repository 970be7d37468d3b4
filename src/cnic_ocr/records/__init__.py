"""The upload records: the pipeline writes them, the mobile API reads them.

``model`` is the record (one per uploaded object); ``dynamodb`` is the records table's adapter.
Both sides depend on this package, neither on the other's insides.
"""
