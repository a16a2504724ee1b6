#!/bin/sh
# OpenWhisk's entry point, by its name: its deployments run
#   /bin/sh -c "exec /init.sh --id N --uniqueName N >> /logs/invokerN_logs.log 2>&1"
# with the settings in the environment (docs/cluster.md, "Starting the invoker the OpenWhisk way").
exec /invoker serve "$@"
