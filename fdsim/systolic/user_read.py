"""placeholder"""
def user_read_buffer(*a, **k):  # type: ignore[no-untyped-def]
    raise NotImplementedError
