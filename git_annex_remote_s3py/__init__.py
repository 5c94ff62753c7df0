"""git-annex external special remote for Amazon S3 and S3-compatible stores."""

__version__ = "0.1.0"
LOGGER_NAME = __name__  # the package's logger: every module logs under its own __name__
