"""Errors a user can cause. Their message is a plain sentence shown on the page as is."""


class UserError(ValueError):
    """Something the user supplied or chose cannot be used; the message says what to do."""


class DataError(UserError):
    """A dataset cannot be read or used as asked."""


class ParamError(UserError):
    """A hyperparameter or preprocessing setting is out of range or inconsistent."""
