"""CP0xx: files that cannot be read or parsed."""

from __future__ import annotations

from collections.abc import Iterator

from preflight.model import Finding, Severity
from preflight.rules import RuleContext, rule

_WHAT_CLOUD_DOES = {
    "python": "Streamlit stops with this SyntaxError when the module runs on Community Cloud",
    "toml": "the tool that reads it on Community Cloud stops with the same error",
    "yaml": "conda stops with the same error when Community Cloud installs it",
}


@rule("CP001", "unparsable-file", Severity.ERROR, phase=1)
def unparsable_file(ctx: RuleContext) -> Iterator[Finding]:
    """A file the app or Cloud needs cannot be parsed.

    Reported for every file another rule had to read: the entrypoint and the modules it imports, the
    dependency file Cloud uses, `.streamlit/config.toml`, and so on.

    ## Why is this bad?
    A syntax error in a module the app imports crashes the app on first run; an invalid TOML or YAML
    dependency file fails the install. Python 2 syntax (`print "x"`) is the most common cause in old apps.

    ## Example
    ```toml
    [packages]
    streamlit = "==1.40.0
    ```

    ## Fix
    Fix the syntax at the reported line; run the file locally with the Python version you deploy with.

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/app-dependencies
    """
    for app in ctx.apps:
        for module in app.modules:  # every module the app runs: a broken one stops it
            ctx.project.check_python(module.path)
    for error in sorted(ctx.project.parse_errors.values(), key=lambda e: e.path):
        yield ctx.finding(
            f"{error.path} cannot be parsed ({error.message}); "
            f"{_WHAT_CLOUD_DOES.get(error.kind, 'it cannot be used on Community Cloud')}.",
            error.path, error.line, error.column,
            fix="Fix the syntax at this line (the file is parsed as data, never run).",
        )


@rule("CP002", "symlink-outside-repo", Severity.WARNING)
def symlink_outside_repo(ctx: RuleContext) -> Iterator[Finding]:
    """A symlink points outside the repository.

    ## Why is this bad?
    Community Cloud clones only the repository. A link to `../data` or `/home/me/models` dangles there, so
    whatever reads it fails with `FileNotFoundError`. cloud-preflight never follows such a link.

    ## Example
    `models -> /home/me/models` committed as a symlink.

    ## Fix
    Commit the files themselves (Git LFS for large ones) or download them at start-up with
    `st.cache_resource`.

    ## References
    - https://docs.streamlit.io/deploy/community-cloud/deploy-your-app/file-organization
    """
    for path in ctx.project.symlinks:
        target = ctx.project.symlink_target(path)
        if target == "":
            yield ctx.finding(
                f"{path} is a symbolic link to a location outside the repository; it will dangle in the clone "
                f"Community Cloud makes, and cloud-preflight does not follow it.",
                path, fix="Commit the target's files into the repository, or load them from remote storage.")


RULES = (unparsable_file, symlink_outside_repo)
