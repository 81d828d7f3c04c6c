"""`python -m bench` runs every benchmark; each module also runs alone (`python -m bench.<name>`)."""

from bench import gateway_overhead, router_decision

if __name__ == "__main__":
    router_decision.main([])
    gateway_overhead.main([])
