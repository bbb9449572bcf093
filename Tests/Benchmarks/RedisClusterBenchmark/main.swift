print("redis cluster benchmark: not written yet")
