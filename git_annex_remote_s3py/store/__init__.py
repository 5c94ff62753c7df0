"""Everything that talks to S3 or writes local files; knows nothing of git-annex."""
