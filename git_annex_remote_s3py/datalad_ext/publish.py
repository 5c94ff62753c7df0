"""``datalad s3py-publish``: the ``s3py-publish`` program as a DataLad command.

The options are the program's own: each one's flags and help come from its argument parser
(``publish.main.build_parser``), the parsed values become ``Options`` through the same
``options_from``, and the same ``publish`` runs. Each dataset's ``Result`` becomes one
DataLad result record carrying every field of the program's ``--json`` record.
"""

from __future__ import annotations

import argparse
import logging
from dataclasses import asdict
from pathlib import Path
from typing import Optional

from datalad_next.commands import (
    EnsureCommandParameterization,
    Parameter,
    ValidatedInterface,
    build_doc,
    datasetmethod,
    eval_results,
    generic_result_renderer,
    get_status_dict,
)
from datalad_next.constraints import (
    EnsureBool,
    EnsureChoice,
    EnsureDataset,
    EnsureInt,
    EnsureRange,
    EnsureRemoteName,
)

from git_annex_remote_s3py.datalad_ext.constraints import (
    EnsureBucketName,
    EnsurePrefix,
    EnsureServiceURL,
    EnsureShard,
)
from git_annex_remote_s3py.errors import S3pyError
from git_annex_remote_s3py.publish.display import Result
from git_annex_remote_s3py.publish.git import check_tools
from git_annex_remote_s3py.publish.main import build_parser, check_options, options_from, publish
from git_annex_remote_s3py.publish.modes import DEFAULT_MODE, MODES
from git_annex_remote_s3py.publish.options import Shard, parse_shard

EVERY_PART = parse_shard("all/1")

lgr = logging.getLogger("datalad.s3py.publish")
ACTION = "s3py_publish"
# The program's options that DataLad has its own way for: the dataset (-d), --json (-f json),
# --version and --help.
NOT_SHARED = ("dataset", "json", "version", "help")
# The program's outcome -> DataLad's result status.
STATUS = {"ok": "ok", "planned": "ok", "skipped": "impossible", "error": "error"}


def shared_actions() -> list[argparse.Action]:
    """The argument parser actions of ``s3py-publish`` that this command takes too."""
    return [action for action in build_parser()._actions if action.dest not in NOT_SHARED]


def _parameter(action: argparse.Action) -> Parameter:
    """A DataLad ``Parameter`` with the flags, help and kind of an ``s3py-publish`` option."""
    kwargs: dict[str, str | tuple[str, ...]] = {}
    if isinstance(action, argparse._StoreTrueAction):
        kwargs["action"] = "store_true"
    else:
        kwargs["metavar"] = action.metavar or action.dest.upper()
    return Parameter(args=tuple(action.option_strings), doc=action.help, **kwargs)


@build_doc
class S3pyPublish(ValidatedInterface):
    """Publish a dataset and its installed subdatasets to one bucket, one prefix each

    The ``s3py-publish`` program as a DataLad command, with the same options (less
    ``--json``: use ``datalad -f json``) and one result record per dataset holding the
    program's JSON record: dataset, fileprefix, remote_action (create, enable, reuse),
    to_send, sent, sibling, message. See docs/publishing-hierarchies.md.
    """

    _params_ = dict(
        dataset=Parameter(args=("-d", "--dataset"),
                          doc="""the (super)dataset to publish; default: the dataset of the
                          current directory"""),
        **{action.dest: _parameter(action) for action in shared_actions()},
    )

    _validator_ = EnsureCommandParameterization(
        param_constraints=dict(
            dataset=EnsureDataset(installed=True, purpose="publish to S3"),
            bucket=EnsureBucketName(),
            prefix=EnsurePrefix(),
            endpoint=EnsureServiceURL("endpoint"),
            publicurl=EnsureServiceURL("publicurl"),
            remote=EnsureRemoteName(),
            sibling=EnsureRemoteName(),
            mode=EnsureChoice(*MODES),
            public=EnsureBool(),
            versioning=EnsureBool(),
            jobs=EnsureInt() & EnsureRange(min=1),
            shard=EnsureShard(),
            dry_run=EnsureBool(),
            plan=EnsureBool(),
            verify=EnsureBool(),
        ),
        validate_defaults=("dataset",),
    )

    @staticmethod
    @datasetmethod(name="s3py_publish")
    @eval_results
    def __call__(*, dataset=None, bucket: Optional[str] = None, prefix: str = "",
                 endpoint: Optional[str] = None, remote: str = "s3", mode: str = DEFAULT_MODE,
                 public: bool = False, publicurl: Optional[str] = None,
                 versioning: bool = False, sibling: Optional[str] = None, jobs: int = 1,
                 shard: Shard = EVERY_PART, dry_run: bool = False, plan: bool = False,
                 verify: bool = False):
        ds = dataset.ds
        given = dict(locals())
        args = build_parser().parse_args([ds.path, "--bucket", "placeholder"])
        for action in shared_actions():
            setattr(args, action.dest, given[action.dest])
        res_kwargs = dict(action=ACTION, logger=lgr, refds=ds.path)
        try:
            if not bucket:
                raise S3pyError("--bucket is required: the bucket to publish to")
            opts = options_from(args)
            check_tools()
            check_options(opts)
            results = publish(Path(ds.path), opts, show=False)
        except S3pyError as exc:
            yield get_status_dict(status="error", path=ds.path, type="dataset",
                                  message=str(exc), **res_kwargs)
            return
        for result in results:
            yield record(result, opts.bucket, res_kwargs)

    @staticmethod
    def custom_result_renderer(res: dict, **kwargs: object) -> None:
        from datalad_next.uis import ui_switcher as ui

        if res.get("action") != ACTION or "dataset" not in res:
            generic_result_renderer(res)
            return
        fields = {name: res[name] for name in Result.__dataclass_fields__ if name in res}
        fields.update(status=res["outcome"], message=res.get("message") or "")
        ui.message(Result(**fields).line(res["bucket"]))


def record(result: Result, bucket: str, res_kwargs: dict) -> dict:
    """A DataLad result record with every field of the program's JSON record."""
    fields = asdict(result)
    outcome, message = fields.pop("status"), fields.pop("message")
    return get_status_dict(status=STATUS[outcome], type="dataset", bucket=bucket,
                           url=f"s3://{bucket}/{result.fileprefix}", message=message or None,
                           outcome=outcome, **fields, **res_kwargs)
