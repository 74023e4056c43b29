"""RQ job functions. They take ids, run inside the app context set up by the worker."""
