"""`python -m bench` runs every benchmark; each module also runs alone (`python -m bench.gateway_overhead`)."""

from bench import gateway_overhead

if __name__ == "__main__":
    gateway_overhead.main()
