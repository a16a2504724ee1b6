#!/bin/sh
# docker run IMAGE ARGS: ARGS are the invoker's command line (serve …, standalone …, --version). A command given as
# a path runs as is: OpenWhisk's deployments set the command to /bin/sh -c "exec /init.sh …", which an image whose
# entry point were the invoker itself would receive as arguments.
case "$1" in
  /*) exec "$@" ;;
esac
exec /invoker "$@"
