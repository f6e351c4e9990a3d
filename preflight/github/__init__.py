"""The only code that talks to GitHub: the run's context (context.py), the REST client (rest.py) and the sticky
pull-request comment (comment.py). Workflow commands and the job summary are written by entrypoint.py."""
