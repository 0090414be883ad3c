"""Fault drills with numbered work (`make faults`, `python -m tests.faults`).

A private instance of the platform (its own Kafka, its own document server with the H2 file
backend, the four services' APIs under gunicorn and their workers, on ports of its own) is put
under a steady stream of numbered work while a fault is made; afterwards every acknowledged piece
of work is followed to its effect, and the topics are read for repeated and out-of-order events.
See README.md, "Fault drills", for the table of the last run.
"""
