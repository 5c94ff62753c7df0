"""``datalad create-sibling-s3``: a dataset (hierarchy) hosted entirely in one bucket.

Modelled on datalad-next's ``create_sibling_webdav``: per dataset a storage sibling (an s3py
special remote, key or export layout) and a git sibling whose history lives in the same
bucket under the same prefix (``datalad-annex::`` with s3py), the git sibling publish-depending
on the storage sibling. Each subdataset gets its own prefix, ``PREFIX/<its path>/`` (the
``s3py-publish`` layout). The storage remote is made, reused or refused by the publisher's
code (``publish.remotes``), which also confirms it for git-annex 10.2025+'s verifyremote.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Iterator, Optional

from datalad.interface.common_opts import recursion_flag, recursion_limit
from datalad_next.commands import (
    EnsureCommandParameterization,
    Parameter,
    ParameterConstraintContext,
    ValidatedInterface,
    build_doc,
    datasetmethod,
    eval_results,
    generic_result_renderer,
    get_status_dict,
)
from datalad_next.constraints import (
    ConstraintError,
    DatasetParameter,
    EnsureBool,
    EnsureChoice,
    EnsureDataset,
    EnsureInt,
    EnsureRange,
    EnsureRemoteName,
    EnsureStr,
)
from datalad_next.utils import _yield_ds_w_matching_siblings

from git_annex_remote_s3py.datalad_ext.constraints import EnsureS3Location, EnsureServiceURL
from git_annex_remote_s3py.datalad_ext.locations import (
    BucketLocation,
    deposit_url,
    subdataset_template,
)
from git_annex_remote_s3py.datalad_ext.sibling_modes import (
    DEFAULT_SIBLING_MODE,
    SIBLING_MODES,
    SiblingMode,
    sibling_modes_help,
)
from git_annex_remote_s3py.errors import S3pyError
from git_annex_remote_s3py.publish.git import run_git
from git_annex_remote_s3py.publish.main import dataset_prefix, relative_name
from git_annex_remote_s3py.publish.options import Options
from git_annex_remote_s3py.publish.remotes import (
    confirm_remote,
    create_remote,
    describe,
    differing,
    layout_keys,
    other_keys,
    special_remotes_named,
    wanted_config,
)

lgr = logging.getLogger("datalad.s3py.create_sibling_s3")
ACTION = "create_sibling_s3"
# datalad.get.subdataset-source-candidate-<cost><name>: tried before DataLad's own guesses
# from the superdataset's remote URL (cost 600/650), which a datalad-annex:: URL defeats.
CANDIDATE_CONFIG = "datalad.get.subdataset-source-candidate-500s3py-{name}"


class CreateSiblingS3ParamValidator(EnsureCommandParameterization):
    def __init__(self) -> None:
        super().__init__(
            param_constraints=dict(
                url=EnsureS3Location(),
                dataset=EnsureDataset(installed=True, purpose="create S3 sibling(s)"),
                name=EnsureRemoteName(),
                storage_name=EnsureRemoteName(),
                mode=EnsureChoice(*SIBLING_MODES),
                existing=EnsureChoice("skip", "error", "reconfigure"),
                recursive=EnsureBool(),
                recursion_limit=EnsureInt() & EnsureRange(min=0),
                public=EnsureBool(),
                publicurl=EnsureServiceURL("publicurl"),
                versioning=EnsureBool(),
                endpoint=EnsureServiceURL("endpoint"),
                region=EnsureStr(min_len=1),
            ),
            validate_defaults=("dataset",),
            joint_constraints={
                ParameterConstraintContext(("mode", "name", "storage_name"), "sibling names"):
                self._validate_names,
                ParameterConstraintContext(("existing", "recursive", "name", "storage_name",
                                            "dataset", "mode")):
                self._validate_existing_names,
            },
        )

    def _validate_names(self, mode: str, name: Optional[str], storage_name: Optional[str]):
        name = name or "s3"
        sibling_mode = SIBLING_MODES[mode]
        if sibling_mode.storage_alone:
            storage_name = name  # the one sibling is the storage sibling
        elif sibling_mode.storage:
            storage_name = storage_name or f"{name}-storage"
            if storage_name == name:
                self.raise_for(dict(mode=mode, name=name, storage_name=storage_name),
                               "sibling names must not be equal (the git sibling "
                               "publish-depends on the storage sibling)")
        return dict(mode=mode, name=name, storage_name=storage_name)

    def _validate_existing_names(self, existing, recursive, name, storage_name, dataset, mode):
        """Non-recursive --existing error: a name in use is a parameter error (the recursive
        case is checked over the whole hierarchy before anything is changed)."""
        if recursive or existing != "error" or not isinstance(dataset, DatasetParameter):
            return
        validator = EnsureRemoteName(known=False, dsarg=dataset)
        try:
            for sibling in _names(SIBLING_MODES[mode], name, storage_name):
                validator(sibling)
        except ConstraintError as exc:
            self.raise_for(dict(existing=existing, recursive=recursive, name=name,
                                storage_name=storage_name, dataset=dataset, mode=mode), exc.msg)


def _names(mode: SiblingMode, name: str, storage_name: Optional[str]) -> list[str]:
    """The siblings ``mode`` makes: git sibling first, then the storage sibling."""
    wanted = [name] if mode.git else []
    if mode.storage and storage_name:
        wanted.append(storage_name)
    return list(dict.fromkeys(wanted))


@build_doc
class CreateSiblingS3(ValidatedInterface):
    """Create a sibling(-tandem) in an S3 bucket: data and git history in one place

    Per dataset, a storage sibling (an s3py special remote: the 'annex' key layout that holds
    every version, or the 'filetree' layout of real file names) and a git sibling whose
    history is kept in the same bucket, under the same prefix (``datalad-annex::`` with s3py:
    no GitHub or other Git hosting needed). The git sibling publish-depends on the storage
    sibling, so ``datalad push --to NAME`` sends data first. With ``-r``, each subdataset
    goes to PREFIX/<its path>/ (the layout of ``s3py-publish``), and each superdataset
    records (in .datalad/config, committed) where its subdatasets are, so that
    ``datalad get -r`` in a clone installs them from the bucket.

    Every result record's ``url`` is the URL to clone the dataset from (``datalad clone
    URL``); in the storage-only modes it is the s3:// location of the data.

    Credentials are never recorded: s3py reads AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or
    an AWS profile) wherever it runs. With --public, clones need no credentials at all.
    Storage siblings are enabled automatically in clones (s3py works read-only without
    credentials). With git-annex 10.2025 and later, a storage sibling that this command
    enables or reuses is confirmed with ``git annex verifyremote`` after its settings were
    checked against the command line.

    ``datalad clone s3://BUCKET/PREFIX`` works too (AWS); for any other endpoint clone
    ``s3+https://HOST[:PORT]/BUCKET/PREFIX`` (or s3+http://).
    """

    _examples_ = [
        dict(text="Host a dataset and all its subdatasets in a bucket, readable by anyone",
             code_cmd="datalad create-sibling-s3 -r --public s3://my-bucket/studies/ds1",
             code_py="create_sibling_s3('s3://my-bucket/studies/ds1', recursive=True, "
                     "public=True)"),
        dict(text="Publish (data first, then git), then clone it elsewhere",
             code_cmd="datalad push -r --to s3 && datalad clone s3://my-bucket/studies/ds1",
             code_py="push(recursive=True, to='s3'); clone('s3://my-bucket/studies/ds1')"),
        dict(text="An S3-compatible server (MinIO, Ceph RGW...), browsable file names",
             code_cmd="datalad create-sibling-s3 --mode filetree --endpoint "
                      "https://s3.example.org s3://data/ds1",
             code_py="create_sibling_s3('s3://data/ds1', mode='filetree', "
                     "endpoint='https://s3.example.org')"),
    ]

    _params_ = dict(
        url=Parameter(
            args=("url",), metavar="s3://BUCKET[/PREFIX]",
            doc="""bucket, and prefix in it, of the dataset (each subdataset goes to
            PREFIX/<its path>/)"""),
        dataset=Parameter(
            args=("-d", "--dataset"),
            doc="""dataset to create the siblings for; default: the dataset of the current
            directory"""),
        name=Parameter(
            args=("-s", "--name"), metavar="NAME",
            doc="""name of the git sibling (default: s3); the same name in every
            subdataset"""),
        storage_name=Parameter(
            args=("--storage-name",), metavar="NAME",
            doc="""name of the storage sibling (s3py special remote); default: NAME-storage.
            In the storage-only modes the storage sibling is NAME"""),
        mode=Parameter(
            args=("--mode",),
            doc=sibling_modes_help()),
        existing=Parameter(
            args=("--existing",),
            doc="""what to do when a sibling of that name exists: 'error' (default; checked
            in every dataset before anything is changed), 'skip' it, or 'reconfigure' it
            (the git sibling's URL; the storage sibling's public, publicurl and versioning
            settings; never its bucket, prefix or layout)"""),
        recursive=recursion_flag,
        recursion_limit=recursion_limit,
        public=Parameter(
            args=("--public",), action="store_true",
            doc="""make every object publicly readable, so that clones need no
            credentials"""),
        publicurl=Parameter(
            args=("--publicurl",), metavar="URL",
            doc="""base URL anonymous downloads go to (default: derived from the endpoint)"""),
        versioning=Parameter(
            args=("--versioning",), action="store_true",
            doc="""turn on bucket versioning, so that an overwritten file of the filetree
            layout stays retrievable"""),
        endpoint=Parameter(
            args=("--endpoint",), metavar="URL",
            doc="""URL of an S3-compatible service (default: AWS)"""),
        region=Parameter(
            args=("--region",), metavar="REGION",
            doc="""bucket region, e.g. eu-west-1 (default: the bucket's, or us-east-1 for a
            new bucket on AWS)"""),
    )

    _validator_ = CreateSiblingS3ParamValidator()

    @staticmethod
    @datasetmethod(name="create_sibling_s3")
    @eval_results
    def __call__(url: BucketLocation, *, dataset=None, name: Optional[str] = None,
                 storage_name: Optional[str] = None, mode: str = DEFAULT_SIBLING_MODE,
                 existing: str = "error", recursive: bool = False,
                 recursion_limit: Optional[int] = None, public: bool = False,
                 publicurl: Optional[str] = None, versioning: bool = False,
                 endpoint: Optional[str] = None, region: Optional[str] = None):
        ds = dataset.ds
        name = name or "s3"  # the validator's default; also for a direct call
        res_kwargs = dict(action=ACTION, logger=lgr, refds=ds.path)
        sibling_mode = SIBLING_MODES[mode]
        names = _names(sibling_mode, name, storage_name)
        if existing == "error":  # every conflict reported before anything changes
            conflicts = list(_yield_ds_w_matching_siblings(
                ds, names, recursive=recursive, recursion_limit=recursion_limit))
            for dpath, sname in conflicts:
                yield get_status_dict(status="error", type="sibling", name=sname, path=dpath,
                                      message=("a sibling %r is already configured in "
                                               "dataset %r (--existing skip or reconfigure)",
                                               sname, dpath), **res_kwargs)
            if conflicts:
                return
        opts = Options(bucket=url.bucket, prefix=url.prefix, endpoint=endpoint,
                       remote=storage_name or name, public=public, publicurl=publicurl,
                       versioning=versioning, region=region,
                       mode=sibling_mode.publish_mode())
        templates: list[Path] = []

        def one(ds, refds, **kwargs) -> Iterator[dict]:
            for res in _create_siblings(ds, refds, opts, sibling_mode, name, existing):
                if res.pop("subdataset_template", False):
                    templates.append(Path(res["path"]) / ".datalad" / "config")
                yield res

        for res in ds.foreach_dataset(one, return_type="generator", result_renderer="disabled",
                                      recursive=recursive,
                                      recursion_limit=recursion_limit if recursive else 0):
            for partial in res.get("result") or ():
                yield {**res_kwargs, **partial, "refds": ds.path}
        if templates:
            yield from ds.save(path=templates, return_type="generator",
                               result_renderer="disabled",
                               message="[s3py] where the subdatasets are in the bucket "
                                       "(create-sibling-s3)")

    @staticmethod
    def custom_result_renderer(res: dict, **kwargs: object) -> None:
        from os.path import relpath

        from datalad_next.uis import ansi_colors as ac
        from datalad_next.uis import ui_switcher as ui

        if res["status"] != "ok" or not res["action"].startswith(ACTION) \
                or res.get("type") != "sibling":
            generic_result_renderer(res)
            return
        path = relpath(res["path"], res["refds"]) if "refds" in res else res["path"]
        ui.message("{action}({status}): {path} [{name}{url}]".format(
            action=ac.color_word(res["action"], ac.BOLD), status=ac.color_status(res["status"]),
            path=path, name=ac.color_word(res.get("name", ""), ac.MAGENTA),
            url=f": {res['url']}" if "url" in res else ""))


def _create_siblings(ds, refds, opts: Options, mode: SiblingMode, name: str,
                     existing: str) -> Iterator[dict]:
    """The storage sibling, then the git sibling, of one dataset."""
    rel = relative_name(Path(refds.path), Path(ds.path))
    try:
        fileprefix = dataset_prefix(opts.prefix, rel)
    except S3pyError as exc:
        yield get_status_dict(ds=ds, status="error", type="sibling", name=name,
                              message=str(exc), action=ACTION)
        return
    url = deposit_url(opts.bucket, fileprefix, opts.endpoint, opts.region, opts.public,
                      opts.publicurl)
    known = set(ds.repo.get_remotes()) | {
        v.get("name") for v in getattr(ds.repo, "get_special_remotes", dict)().values()}
    if mode.storage:
        shown = url if mode.git else f"s3://{opts.bucket}/{fileprefix}"
        yield _storage_sibling(ds, opts, fileprefix, existing, opts.remote in known, shown)
    if not mode.git:
        return
    yield from _git_sibling(ds, name, url, existing, name in known,
                            publish_depends=opts.remote if mode.storage else None)
    if ds.subdatasets(state="any", result_renderer="disabled", return_type="list"):
        variable = CANDIDATE_CONFIG.format(name=name)
        template = subdataset_template(url)
        if ds.config.get(variable) != template:
            ds.config.set(variable, template, scope="branch", reload=True)
            yield get_status_dict(ds=ds, status="ok", action=f"{ACTION}.subdatasets",
                                  type="dataset", name=name, url=url, subdataset_template=True,
                                  message=("subdatasets are cloned from %s", template))


def _storage_sibling(ds, opts: Options, fileprefix: str, existing: str, known: bool,
                     url: str) -> dict:
    """Create the s3py special remote, or skip / reconfigure / refuse an existing one."""
    path = Path(ds.path)
    record = dict(ds=ds, type="sibling", name=opts.remote, url=url,
                  fileprefix=fileprefix, bucket=opts.bucket)
    try:
        found = special_remotes_named(path, opts.remote) if known else {}
        if known and existing == "skip":
            return get_status_dict(status="notneeded", action=f"{ACTION}.storage",
                                   message=("storage sibling %r exists: skipped",
                                            opts.remote), **record)
        if known and existing == "error":
            raise S3pyError(f"a sibling {opts.remote!r} is already configured (--existing "
                            "skip or reconfigure)")
        if not found:
            if known:
                raise S3pyError(f"a git remote named {opts.remote!r} exists and is not a "
                                "special remote; choose another --storage-name")
            create_remote(path, opts, fileprefix)
            return get_status_dict(status="ok", action=f"{ACTION}.storage", **record)
        _reconfigure(path, opts, fileprefix, next(iter(found.values())))
        return get_status_dict(status="ok", action=f"reconfigure_{ACTION}.storage", **record)
    except S3pyError as exc:
        return get_status_dict(status="error", action=f"{ACTION}.storage", message=str(exc),
                               **record)


def _reconfigure(path: Path, opts: Options, fileprefix: str, existing: dict[str, str]) -> None:
    """enableremote with the settings enableremote may change; never another location."""
    wanted = wanted_config(opts, fileprefix)
    layout = differing(existing, wanted, layout_keys(wanted))
    if layout:
        raise S3pyError(f"storage sibling {opts.remote!r} is at another location or layout "
                        f"({describe(existing, wanted, layout)}); git-annex cannot move a "
                        "remote: choose another --storage-name (and another prefix)")
    changes = [f"{key}={wanted[key]}" for key in differing(existing, wanted, other_keys(wanted))]
    run_git(path, "annex", "enableremote", opts.remote, *changes)
    confirm_remote(path, opts.remote)


def _git_sibling(ds, name: str, url: str, existing: str, known: bool,
                 publish_depends: Optional[str]) -> Iterator[dict]:
    """The git sibling: datalad-annex:: with s3py, through DataLad's own ``siblings``."""
    if known and existing != "reconfigure":
        yield get_status_dict(ds=ds, status="notneeded" if existing == "skip" else "error",
                              action=ACTION, type="sibling", name=name, url=url,
                              message=("git sibling %r exists: %s", name,
                                       "skipped" if existing == "skip" else
                                       "--existing skip or reconfigure"))
        return
    # no annex in it (the storage sibling holds the data): spare git-annex the probing
    ds.config.set(f"remote.{name}.annex-ignore", "true", scope="local")
    for res in ds.siblings(action="configure", name=name, url=url, fetch=False,
                           publish_depends=publish_depends, return_type="generator",
                           result_renderer="disabled"):
        if res.get("action") == "configure-sibling":
            res["action"] = f"reconfigure_{ACTION}" if known else ACTION
            res["url"] = url
        yield res
