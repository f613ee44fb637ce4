"""Secret tokens at rest: the database keeps a digest of a token (a private link, a hand-over, a sign-in, the
setup code), never the token, so a copy of the database opens nothing."""
import hashlib


def token_digest(token: str) -> str:
    """The SHA-256 of a token, as the database stores and looks it up."""
    return hashlib.sha256(token.encode()).hexdigest()
