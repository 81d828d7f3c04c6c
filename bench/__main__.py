"""`python -m bench` runs every benchmark; each module also runs alone (`python -m bench.<name>`)."""

from bench import edge, evals, gateway_overhead, guardrails, router_decision

if __name__ == "__main__":
    guardrails.main()
    router_decision.main([])
    gateway_overhead.main([])
    evals.main([])
    edge.main([])
