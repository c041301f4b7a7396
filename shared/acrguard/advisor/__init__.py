"""The image weight advisor: large images in repositories without on-demand loading.

A large image makes every deployment pull and unpack all of it, although a container starts
with a fraction; ACR EE's accelerated images (on-demand loading) and P2P acceleration are the
remedy. ``observe`` reads tags, build rules and the edition through the cr SDK; ``decide`` is
pure; ``findings`` words the advice; ``apply`` creates the repository's ``ACCELERATED_IMAGE``
build rule in ``enforce`` mode; ``run`` ties them together for push events and daily sweeps.
"""
