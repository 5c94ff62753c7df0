"""``git-annex-remote-s3py verify``: what a remote holds, checked without downloading it.

``judge`` (pure) weighs one HEAD against a key; ``locations`` asks git-annex which keys (and
export paths, and recorded versions) a remote holds, and records what ``--fix`` corrects;
``command`` runs the checks through the ``Store`` interface and reports.
"""
