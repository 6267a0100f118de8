# av-sigscan: clamscan is the peer of the parity test
# (av-sigscan/tests/parity.rs); no freshclam, no daemon, no official DBs.
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends clamav
