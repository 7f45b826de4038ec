"""The complainants' portal: accounts, sign-up, the filing wizard.

Star-imported at the end of base.py; read values through ``env``."""

from config.env import env  # noqa: F401
