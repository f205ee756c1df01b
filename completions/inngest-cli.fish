# fish completion for inngest-cli, generated from its command tree by
# `inngest-cli completions fish`. Do not edit: regenerate it.

function __inngest_cli_path --description 'The inngest-cli command being completed'
    set -l words (commandline -opc)
    set -e words[1]
    set -l path ''
    set -l skip 0
    for word in $words
        if test $skip -eq 1
            set skip 0
            continue
        end
        switch "$path:$word"
            case ':send' ':serve' ':events' ':runs' ':config' ':completions' 'events:list' 'events:get' 'events:runs' 'events:tail' 'runs:get' 'config:show' 'config:path'
                set path (string trim -- "$path $word")
            case ':--profile' 'send:--name' 'send:-n' 'send:--data' 'send:-d' 'send:--id' 'send:--ts' 'send:--v' 'send:--user' 'send:--file' 'send:-f' 'send:--format' 'send:--id-field' 'send:--ts-field' 'send:--max-request-bytes' 'send:--max-batch' 'send:--max-event-bytes' 'send:--concurrency' 'send:-c' 'send:--retries' 'send:--timeout' 'send:--on-error' 'send:--failed-out' 'send:--follow' 'send:-F' 'send:--linger' 'send:--rate' 'send:--checkpoint' 'send:--wait-timeout' 'send:--event-key' 'send:--env' 'send:--event-api-url' 'send:--output' 'send:-o' 'serve:--host' 'serve:--port' 'serve:-p' 'serve:--db' 'serve:--event-key' 'serve:--signing-key' 'events list:--name' 'events list:-n' 'events list:--since' 'events list:--until' 'events list:--limit' 'events list:-l' 'events list:--output' 'events list:-o' 'events list:--api-url' 'events list:--signing-key' 'events list:--env' 'events get:--wait' 'events get:--output' 'events get:-o' 'events get:--api-url' 'events get:--signing-key' 'events get:--env' 'events runs:--output' 'events runs:-o' 'events runs:--api-url' 'events runs:--signing-key' 'events runs:--env' 'events tail:--name' 'events tail:-n' 'events tail:--interval' 'events tail:--output' 'events tail:-o' 'events tail:--api-url' 'events tail:--signing-key' 'events tail:--env' 'runs get:--output' 'runs get:-o' 'runs get:--api-url' 'runs get:--signing-key' 'runs get:--env' 'config show:--output' 'config show:-o'
                set skip 1
        end
    end
    echo "$path"
end

function __inngest_cli_at --description 'Is this the command being completed?'
    set -l path (__inngest_cli_path)
    test "$path" = "$argv[1]"
end

function __inngest_cli_profiles --description 'Profiles in the inngest-cli config file'
    set -l file $INNGEST_CLI_CONFIG
    if test -z "$file"
        set -l base $XDG_CONFIG_HOME
        test -z "$base"; and set base $HOME/.config
        set file $base/inngest-cli/config.toml
    end
    sed -n 's/^[[:space:]]*\[profiles\.\([A-Za-z0-9_-]*\)\].*/\1/p' $file 2>/dev/null
end

complete -c inngest-cli -f

# inngest-cli
complete -c inngest-cli -n '__inngest_cli_at ""' -a send -d 'Send events to Inngest.'
complete -c inngest-cli -n '__inngest_cli_at ""' -a serve -d 'Run a local Inngest-compatible Event API and read API backed by SQLite.'
complete -c inngest-cli -n '__inngest_cli_at ""' -a events -d 'List, inspect and follow events, and the function runs they triggered.'
complete -c inngest-cli -n '__inngest_cli_at ""' -a runs -d 'Inspect function runs.'
complete -c inngest-cli -n '__inngest_cli_at ""' -a config -d 'Show the resolved settings (keys masked) and the config file'\''s path.'
complete -c inngest-cli -n '__inngest_cli_at ""' -a completions -d 'Print a shell completion script for bash, zsh or fish.'
complete -c inngest-cli -n '__inngest_cli_at ""' -l version -d 'Print the version.'
complete -c inngest-cli -n '__inngest_cli_at ""' -l debug -d 'Show a traceback for errors (keys stay masked).'
complete -c inngest-cli -n '__inngest_cli_at ""' -l no-color -d 'No colour (NO_COLOR works too).'
complete -c inngest-cli -n '__inngest_cli_at ""' -l quiet -s q -d 'Only data and errors: no summary, progress or notes.'
complete -c inngest-cli -n '__inngest_cli_at ""' -l verbose -d 'Trace each request and response on stderr (keys masked).'
complete -c inngest-cli -n '__inngest_cli_at ""' -l insecure -d 'Do not verify TLS certificates (a warning says so on every run).'
complete -c inngest-cli -n '__inngest_cli_at ""' -l profile -x -a '(__inngest_cli_profiles)' -d 'Use this profile of the config file.'
complete -c inngest-cli -n '__inngest_cli_at ""' -l help -d 'Show this message and exit.'

# inngest-cli send
complete -c inngest-cli -n '__inngest_cli_at "send"' -l name -s n -x -d 'Event name; with input files, each record becomes the data of an event of thi...'
complete -c inngest-cli -n '__inngest_cli_at "send"' -l data -s d -x -d 'Event data: JSON, @file.json or @-.'
complete -c inngest-cli -n '__inngest_cli_at "send"' -l id -x -d 'Idempotency ID (one run per ID per 24 h).'
complete -c inngest-cli -n '__inngest_cli_at "send"' -l ts -x -d 'Timestamp: epoch ms, ISO-8601, or relative (+10m schedules runs later, -2h).'
complete -c inngest-cli -n '__inngest_cli_at "send"' -l v -x -d 'Event schema version.'
complete -c inngest-cli -n '__inngest_cli_at "send"' -l user -x -d 'User object: JSON or @file.'
complete -c inngest-cli -n '__inngest_cli_at "send"' -l file -s f -r -F -d 'Input file (repeatable).'
complete -c inngest-cli -n '__inngest_cli_at "send"' -l format -x -a 'auto ndjson json' -d 'Input format: auto, ndjson or json.'
complete -c inngest-cli -n '__inngest_cli_at "send"' -l id-field -x -d 'With --name: take each event'\''s id from this record field.'
complete -c inngest-cli -n '__inngest_cli_at "send"' -l ts-field -x -d 'With --name: take each event'\''s ts from this record field.'
complete -c inngest-cli -n '__inngest_cli_at "send"' -l keep-ts -d 'Keep ts of exported events (events list -o ndjson) when replaying.'
complete -c inngest-cli -n '__inngest_cli_at "send"' -l max-request-bytes -x -d 'Request body limit.'
complete -c inngest-cli -n '__inngest_cli_at "send"' -l max-batch -x -d 'Events per request.'
complete -c inngest-cli -n '__inngest_cli_at "send"' -l max-event-bytes -x -d 'Largest event (Cloud free plan: 262144).'
complete -c inngest-cli -n '__inngest_cli_at "send"' -l concurrency -s c -x -d 'Requests in flight.'
complete -c inngest-cli -n '__inngest_cli_at "send"' -l retries -x -d 'Retries per request on network errors, 5xx and 429.'
complete -c inngest-cli -n '__inngest_cli_at "send"' -l timeout -x -d 'Seconds per request.'
complete -c inngest-cli -n '__inngest_cli_at "send"' -l on-error -x -a 'continue stop' -d 'continue: report failures and go on; stop: stop at the first.'
complete -c inngest-cli -n '__inngest_cli_at "send"' -l failed-out -r -F -d 'Write each failed input, as it came, to this file (replay it with send).'
complete -c inngest-cli -n '__inngest_cli_at "send"' -l dry-run -d 'Validate and print the request plan; send nothing.'
complete -c inngest-cli -n '__inngest_cli_at "send"' -l follow -s F -r -F -d 'Send what FILE holds, then each line appended to it, across rotation and trun...'
complete -c inngest-cli -n '__inngest_cli_at "send"' -l linger -x -d 'Longest an event from a pipe or --follow waits for others to share its request.'
complete -c inngest-cli -n '__inngest_cli_at "send"' -l rate -x -d 'Send at most N events per second (N/s, N/m or N/h), to pace a backfill.'
complete -c inngest-cli -n '__inngest_cli_at "send"' -l ignore-stdin -s I -d 'Never read stdin (scripts and loops: stdin is read whenever it is a pipe or a...'
complete -c inngest-cli -n '__inngest_cli_at "send"' -l checkpoint -r -F -d 'Record settled progress in this file; rerunning the same command resumes afte...'
complete -c inngest-cli -n '__inngest_cli_at "send"' -l wait -d 'After sending, wait for the runs each event triggered and report them; exit 1...'
complete -c inngest-cli -n '__inngest_cli_at "send"' -l wait-timeout -x -d 'How long --wait waits for the runs.'
complete -c inngest-cli -n '__inngest_cli_at "send"' -l event-key -x -d 'Event key.'
complete -c inngest-cli -n '__inngest_cli_at "send"' -l env -x -d 'Branch environment, sent as x-inngest-env.'
complete -c inngest-cli -n '__inngest_cli_at "send"' -l dev -d 'Dev Server mode: no key needed, default URL http://127.0.0.1:8288.'
complete -c inngest-cli -n '__inngest_cli_at "send"' -l event-api-url -x -d 'Event API origin.'
complete -c inngest-cli -n '__inngest_cli_at "send"' -l output -s o -x -a 'table json ndjson ids' -d 'table, json, ndjson or ids.'
complete -c inngest-cli -n '__inngest_cli_at "send"' -l verbose -d 'Trace each request and response (keys masked).'
complete -c inngest-cli -n '__inngest_cli_at "send"' -l quiet -s q -d 'No summary or progress.'
complete -c inngest-cli -n '__inngest_cli_at "send"' -l no-progress -d 'No progress display.'
complete -c inngest-cli -n '__inngest_cli_at "send"' -l help -d 'Show this message and exit.'
complete -c inngest-cli -n '__inngest_cli_at "send"' -F

# inngest-cli serve
complete -c inngest-cli -n '__inngest_cli_at "serve"' -l host -x -d 'Address to listen on. Non-loopback addresses need --event-key.'
complete -c inngest-cli -n '__inngest_cli_at "serve"' -l port -s p -x -d 'TCP port; 0 picks a free one.'
complete -c inngest-cli -n '__inngest_cli_at "serve"' -l db -r -F -d 'SQLite file for the events ('\'':memory:'\'' keeps nothing). Default: $XDG_DATA_HOM...'
complete -c inngest-cli -n '__inngest_cli_at "serve"' -l event-key -x -d 'Accept events only for POST /e/KEY (repeatable). Without it any key is accepted.'
complete -c inngest-cli -n '__inngest_cli_at "serve"' -l signing-key -x -d 'Require '\''Authorization: Bearer <key or its SHA-256>'\'' on /v1 (hex, as Inngest'\''s).'
complete -c inngest-cli -n '__inngest_cli_at "serve"' -l quiet -s q -d 'No per-request log lines on stderr.'
complete -c inngest-cli -n '__inngest_cli_at "serve"' -l help -d 'Show this message and exit.'

# inngest-cli events
complete -c inngest-cli -n '__inngest_cli_at "events"' -a list -d 'List events, newest first, received in a time window (default: the last hour).'
complete -c inngest-cli -n '__inngest_cli_at "events"' -a get -d 'Show one event: name, IDs, times and data.'
complete -c inngest-cli -n '__inngest_cli_at "events"' -a runs -d 'List the function runs an event triggered: status, duration, output.'
complete -c inngest-cli -n '__inngest_cli_at "events"' -a tail -d 'Print new events as they are stored, until Ctrl-C (which exits with 130).'
complete -c inngest-cli -n '__inngest_cli_at "events"' -l help -d 'Show this message and exit.'

# inngest-cli events list
complete -c inngest-cli -n '__inngest_cli_at "events list"' -l name -s n -x -d 'Only events of this exact name.'
complete -c inngest-cli -n '__inngest_cli_at "events list"' -l since -x -d 'Received at or after: ISO-8601, epoch ms, or relative (15m, 2h, 7d ago).'
complete -c inngest-cli -n '__inngest_cli_at "events list"' -l until -x -d 'Received at or before (same forms).'
complete -c inngest-cli -n '__inngest_cli_at "events list"' -l limit -s l -x -d 'Most events to list, 0 for all.'
complete -c inngest-cli -n '__inngest_cli_at "events list"' -l output -s o -x -a 'table json ndjson ids' -d 'table, json, ndjson or ids.'
complete -c inngest-cli -n '__inngest_cli_at "events list"' -l api-url -x -d 'REST API origin.'
complete -c inngest-cli -n '__inngest_cli_at "events list"' -l signing-key -x -d 'Signing key.'
complete -c inngest-cli -n '__inngest_cli_at "events list"' -l env -x -d 'Branch environment, sent as x-inngest-env.'
complete -c inngest-cli -n '__inngest_cli_at "events list"' -l dev -d 'Dev Server mode: no key needed, default URL http://127.0.0.1:8288.'
complete -c inngest-cli -n '__inngest_cli_at "events list"' -l verbose -d 'Trace each request and response on stderr (keys masked).'
complete -c inngest-cli -n '__inngest_cli_at "events list"' -l help -d 'Show this message and exit.'

# inngest-cli events get
complete -c inngest-cli -n '__inngest_cli_at "events get"' -l wait -x -d 'Poll up to this long for the event to appear.'
complete -c inngest-cli -n '__inngest_cli_at "events get"' -l output -s o -x -a 'table json ndjson ids' -d 'table, json, ndjson or ids.'
complete -c inngest-cli -n '__inngest_cli_at "events get"' -l api-url -x -d 'REST API origin.'
complete -c inngest-cli -n '__inngest_cli_at "events get"' -l signing-key -x -d 'Signing key.'
complete -c inngest-cli -n '__inngest_cli_at "events get"' -l env -x -d 'Branch environment, sent as x-inngest-env.'
complete -c inngest-cli -n '__inngest_cli_at "events get"' -l dev -d 'Dev Server mode: no key needed, default URL http://127.0.0.1:8288.'
complete -c inngest-cli -n '__inngest_cli_at "events get"' -l verbose -d 'Trace each request and response on stderr (keys masked).'
complete -c inngest-cli -n '__inngest_cli_at "events get"' -l help -d 'Show this message and exit.'

# inngest-cli events runs
complete -c inngest-cli -n '__inngest_cli_at "events runs"' -l output -s o -x -a 'table json ndjson ids' -d 'table, json, ndjson or ids.'
complete -c inngest-cli -n '__inngest_cli_at "events runs"' -l api-url -x -d 'REST API origin.'
complete -c inngest-cli -n '__inngest_cli_at "events runs"' -l signing-key -x -d 'Signing key.'
complete -c inngest-cli -n '__inngest_cli_at "events runs"' -l env -x -d 'Branch environment, sent as x-inngest-env.'
complete -c inngest-cli -n '__inngest_cli_at "events runs"' -l dev -d 'Dev Server mode: no key needed, default URL http://127.0.0.1:8288.'
complete -c inngest-cli -n '__inngest_cli_at "events runs"' -l verbose -d 'Trace each request and response on stderr (keys masked).'
complete -c inngest-cli -n '__inngest_cli_at "events runs"' -l help -d 'Show this message and exit.'

# inngest-cli events tail
complete -c inngest-cli -n '__inngest_cli_at "events tail"' -l name -s n -x -d 'Only events of this exact name.'
complete -c inngest-cli -n '__inngest_cli_at "events tail"' -l interval -x -d 'Seconds between polls.'
complete -c inngest-cli -n '__inngest_cli_at "events tail"' -l output -s o -x -d 'table (one line per event), ndjson or ids.'
complete -c inngest-cli -n '__inngest_cli_at "events tail"' -l api-url -x -d 'REST API origin.'
complete -c inngest-cli -n '__inngest_cli_at "events tail"' -l signing-key -x -d 'Signing key.'
complete -c inngest-cli -n '__inngest_cli_at "events tail"' -l env -x -d 'Branch environment, sent as x-inngest-env.'
complete -c inngest-cli -n '__inngest_cli_at "events tail"' -l dev -d 'Dev Server mode: no key needed, default URL http://127.0.0.1:8288.'
complete -c inngest-cli -n '__inngest_cli_at "events tail"' -l verbose -d 'Trace each request and response on stderr (keys masked).'
complete -c inngest-cli -n '__inngest_cli_at "events tail"' -l help -d 'Show this message and exit.'

# inngest-cli runs
complete -c inngest-cli -n '__inngest_cli_at "runs"' -a get -d 'Show one function run: status, timing and its output, pretty-printed.'
complete -c inngest-cli -n '__inngest_cli_at "runs"' -l help -d 'Show this message and exit.'

# inngest-cli runs get
complete -c inngest-cli -n '__inngest_cli_at "runs get"' -l output -s o -x -a 'table json ndjson ids' -d 'table, json, ndjson or ids.'
complete -c inngest-cli -n '__inngest_cli_at "runs get"' -l api-url -x -d 'REST API origin.'
complete -c inngest-cli -n '__inngest_cli_at "runs get"' -l signing-key -x -d 'Signing key.'
complete -c inngest-cli -n '__inngest_cli_at "runs get"' -l env -x -d 'Branch environment, sent as x-inngest-env.'
complete -c inngest-cli -n '__inngest_cli_at "runs get"' -l dev -d 'Dev Server mode: no key needed, default URL http://127.0.0.1:8288.'
complete -c inngest-cli -n '__inngest_cli_at "runs get"' -l verbose -d 'Trace each request and response on stderr (keys masked).'
complete -c inngest-cli -n '__inngest_cli_at "runs get"' -l help -d 'Show this message and exit.'

# inngest-cli config
complete -c inngest-cli -n '__inngest_cli_at "config"' -a show -d 'Show the resolved settings, keys masked, and where each came from.'
complete -c inngest-cli -n '__inngest_cli_at "config"' -a path -d 'Print the config file'\''s path.'
complete -c inngest-cli -n '__inngest_cli_at "config"' -l help -d 'Show this message and exit.'

# inngest-cli config show
complete -c inngest-cli -n '__inngest_cli_at "config show"' -l output -s o -x -a 'table json' -d 'table or json.'
complete -c inngest-cli -n '__inngest_cli_at "config show"' -l help -d 'Show this message and exit.'

# inngest-cli config path
complete -c inngest-cli -n '__inngest_cli_at "config path"' -l help -d 'Show this message and exit.'

# inngest-cli completions
complete -c inngest-cli -n '__inngest_cli_at "completions"' -l help -d 'Show this message and exit.'
complete -c inngest-cli -n '__inngest_cli_at "completions"' -a 'bash zsh fish'
