# Sourced by scripts/pg.sh and scripts/s3.sh: where a test service keeps its
# pointer and which port it takes.
#
# The pointer (the running service's temp dir) lives in this checkout's
# .cache/services, not in /tmp: two clones on one machine (a developer's tree
# and a CI clone) never see each other's services, and a pointer left by a
# killed run names a process that is gone, which `start` detects and clears.

# The default pointer file for service NAME in this checkout.
service_pointer() {
    local root
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    mkdir -p "$root/.cache/services"
    echo "$root/.cache/services/$1.current"
}

# True when something accepts connections on 127.0.0.1:PORT.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# pick_port NAME WANTED EXPLICIT: WANTED when free; when it is taken and the
# port was not chosen explicitly, the next free one of WANTED+2, +4, ... (pg
# and s3 default to neighbouring ports, so they step over each other's).
pick_port() {
    local name=$1 port=$2 explicit=$3 i
    for i in $(seq 0 49); do
        if ! port_in_use "$port"; then echo "$port"; return 0; fi
        if [ "$explicit" = 1 ]; then
            echo "$name: port $port is taken (choose another with the port variable)" >&2
            return 1
        fi
        port=$((port + 2))
    done
    echo "$name: no free port found from $2 on" >&2
    return 1
}
