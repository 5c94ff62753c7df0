"""The s3py DataLad extension: ``datalad create-sibling-s3`` and ``datalad s3py-publish``, and
the ``datalad clone s3://BUCKET/PREFIX`` URL rules (entry point ``datalad.extensions``).

Installed with the ``[datalad]`` extra (DataLad and datalad-next). ``datalad push`` and
``datalad clone`` load it (and with it datalad-next's patches, which ``datalad push`` to a
``datalad-annex::`` sibling or an export remote needs) where ``datalad.extensions.load``
names it: ``git config --global --add datalad.extensions.load s3py``."""

from __future__ import annotations

import datalad_next  # noqa: F401  (applies datalad-next's patches to DataLad)
from datalad.support.extensions import register_config

from git_annex_remote_s3py.datalad_ext.locations import CLONE_URL_RULES

command_suite = (
    "s3py: DataLad datasets in S3 buckets",
    [
        ("git_annex_remote_s3py.datalad_ext.create_sibling_s3", "CreateSiblingS3",
         "create-sibling-s3", "create_sibling_s3"),
        ("git_annex_remote_s3py.datalad_ext.publish", "S3pyPublish", "s3py-publish",
         "s3py_publish"),
    ],
)

for _label, _rules in CLONE_URL_RULES.items():
    register_config(
        f"datalad.clone.url-substitute.{_label}",
        "s3:// clone URL substitution (s3py)",
        description="Turns s3://BUCKET[/PREFIX] (AWS) and s3+http(s)://HOST[:PORT]/BUCKET"
                    "[/PREFIX] (any other endpoint) into the datalad-annex:: URL of a dataset "
                    "that create-sibling-s3 put there.",
        dialog="question",
        scope="global",
        default=_rules,
    )
