# bash completion for inngest-cli, generated from its command tree by
# `inngest-cli completions bash`. Do not edit: regenerate it.

_inngest_cli_words() {
    local IFS=$' \t\n'
    COMPREPLY=($(compgen -W "$1" -- "$cur"))
}

_inngest_cli_files() {
    local IFS=$'\n'
    compopt -o filenames 2>/dev/null
    COMPREPLY=($(compgen "$1" -- "$cur"))
}

# profile names, one a line, matched against the word as typed (without its quotes and
# backslashes). A name with a space stays one word: escaped (local\ dev), or as it is
# after an opening quote, which readline then closes.
_inngest_cli_profiles() {
    local name quoted typed=${cur//\\/}
    typed=${typed#[\"\']}
    COMPREPLY=()
    while IFS= read -r name; do
        [[ $name == "$typed"* ]] || continue
        quoted=$name
        [[ $cur == [\"\']* ]] || printf -v quoted %q "$name"
        COMPREPLY+=("$quoted")
    done < <(command inngest-cli completions --profile-names 2>/dev/null)
}

_inngest_cli() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev= path= word opt skip= i
    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD-1]}
    # which command is being completed: follow the words, skipping option values
    for ((i = 1; i < COMP_CWORD; i++)); do
        word=${COMP_WORDS[i]}
        if [[ $word == = ]]; then skip=1; continue; fi
        if [[ -n $skip ]]; then skip=; continue; fi
        case "$path:$word" in
            ':send'|':serve'|':events'|':runs'|':functions'|':cancellations'|':config'|':completions') path="${path:+$path }$word" ;;
            'events:list'|'events:get'|'events:runs'|'events:tail') path="${path:+$path }$word" ;;
            'runs:get'|'runs:cancel'|'runs:jobs') path="${path:+$path }$word" ;;
            'functions:list') path="${path:+$path }$word" ;;
            'cancellations:create'|'cancellations:list'|'cancellations:delete') path="${path:+$path }$word" ;;
            'config:show'|'config:path') path="${path:+$path }$word" ;;
            ':--profile'|'send:--name'|'send:-n'|'send:--data'|'send:-d'|'send:--id'|'send:--ts'|'send:--v'|'send:--user'|'send:--file'|'send:-f'|'send:--format'|'send:--id-field'|'send:--ts-field'|'send:--max-request-bytes'|'send:--max-batch'|'send:--max-event-bytes'|'send:--concurrency'|'send:-c'|'send:--retries'|'send:--timeout'|'send:--on-error'|'send:--failed-out'|'send:--follow'|'send:-F'|'send:--linger'|'send:--rate'|'send:--checkpoint'|'send:--wait-timeout'|'send:--signing-key'|'send:--event-key'|'send:--env'|'send:--event-api-url'|'send:--output'|'send:-o'|'send:--profile'|'serve:--host'|'serve:--port'|'serve:-p'|'serve:--db'|'serve:--event-key'|'serve:--signing-key'|'serve:--profile'|'events:--profile'|'events list:--name'|'events list:-n'|'events list:--since'|'events list:--until'|'events list:--limit'|'events list:-l'|'events list:--output'|'events list:-o'|'events list:--api-url'|'events list:--signing-key'|'events list:--env'|'events list:--profile'|'events get:--wait'|'events get:--output'|'events get:-o'|'events get:--api-url'|'events get:--signing-key'|'events get:--env'|'events get:--profile'|'events runs:--output'|'events runs:-o'|'events runs:--api-url'|'events runs:--signing-key'|'events runs:--env'|'events runs:--profile'|'events tail:--name'|'events tail:-n'|'events tail:--interval'|'events tail:--output'|'events tail:-o'|'events tail:--api-url'|'events tail:--signing-key'|'events tail:--env'|'events tail:--profile'|'runs:--profile'|'runs get:--output'|'runs get:-o'|'runs get:--api-url'|'runs get:--signing-key'|'runs get:--env'|'runs get:--profile'|'runs cancel:--output'|'runs cancel:-o'|'runs cancel:--api-url'|'runs cancel:--signing-key'|'runs cancel:--env'|'runs cancel:--profile'|'runs jobs:--output'|'runs jobs:-o'|'runs jobs:--api-url'|'runs jobs:--signing-key'|'runs jobs:--env'|'runs jobs:--profile'|'functions:--profile'|'functions list:--app'|'functions list:--output'|'functions list:-o'|'functions list:--api-url'|'functions list:--signing-key'|'functions list:--env'|'functions list:--profile'|'cancellations:--profile'|'cancellations create:--app'|'cancellations create:--function'|'cancellations create:--started-after'|'cancellations create:--started-before'|'cancellations create:--if'|'cancellations create:--output'|'cancellations create:-o'|'cancellations create:--api-url'|'cancellations create:--signing-key'|'cancellations create:--env'|'cancellations create:--profile'|'cancellations list:--output'|'cancellations list:-o'|'cancellations list:--api-url'|'cancellations list:--signing-key'|'cancellations list:--env'|'cancellations list:--profile'|'cancellations delete:--output'|'cancellations delete:-o'|'cancellations delete:--api-url'|'cancellations delete:--signing-key'|'cancellations delete:--env'|'cancellations delete:--profile'|'config:--profile'|'config show:--output'|'config show:-o'|'config show:--profile'|'config path:--profile'|'completions:--profile') skip=1 ;;
        esac
    done
    # the value of an option: --opt VALUE, --opt=VALUE
    opt=$prev
    if [[ $cur == = ]]; then cur=
    elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then opt=${COMP_WORDS[COMP_CWORD-2]}
    fi
    case "$path:$opt" in
        ':--profile') _inngest_cli_profiles; return ;;
        'send:--file'|'send:-f') _inngest_cli_files -f; return ;;
        'send:--format') _inngest_cli_words 'auto ndjson json'; return ;;
        'send:--on-error') _inngest_cli_words 'continue stop'; return ;;
        'send:--failed-out') _inngest_cli_files -f; return ;;
        'send:--follow'|'send:-F') _inngest_cli_files -f; return ;;
        'send:--checkpoint') _inngest_cli_files -f; return ;;
        'send:--output'|'send:-o') _inngest_cli_words 'table json ndjson ids'; return ;;
        'send:--profile') _inngest_cli_profiles; return ;;
        'serve:--db') _inngest_cli_files -f; return ;;
        'serve:--profile') _inngest_cli_profiles; return ;;
        'events:--profile') _inngest_cli_profiles; return ;;
        'events list:--output'|'events list:-o') _inngest_cli_words 'table json ndjson ids'; return ;;
        'events list:--profile') _inngest_cli_profiles; return ;;
        'events get:--output'|'events get:-o') _inngest_cli_words 'table json ndjson ids'; return ;;
        'events get:--profile') _inngest_cli_profiles; return ;;
        'events runs:--output'|'events runs:-o') _inngest_cli_words 'table json ndjson ids'; return ;;
        'events runs:--profile') _inngest_cli_profiles; return ;;
        'events tail:--profile') _inngest_cli_profiles; return ;;
        'runs:--profile') _inngest_cli_profiles; return ;;
        'runs get:--output'|'runs get:-o') _inngest_cli_words 'table json ndjson ids'; return ;;
        'runs get:--profile') _inngest_cli_profiles; return ;;
        'runs cancel:--output'|'runs cancel:-o') _inngest_cli_words 'table json ndjson ids'; return ;;
        'runs cancel:--profile') _inngest_cli_profiles; return ;;
        'runs jobs:--output'|'runs jobs:-o') _inngest_cli_words 'table json ndjson ids'; return ;;
        'runs jobs:--profile') _inngest_cli_profiles; return ;;
        'functions:--profile') _inngest_cli_profiles; return ;;
        'functions list:--output'|'functions list:-o') _inngest_cli_words 'table json ndjson ids'; return ;;
        'functions list:--profile') _inngest_cli_profiles; return ;;
        'cancellations:--profile') _inngest_cli_profiles; return ;;
        'cancellations create:--output'|'cancellations create:-o') _inngest_cli_words 'table json ndjson ids'; return ;;
        'cancellations create:--profile') _inngest_cli_profiles; return ;;
        'cancellations list:--output'|'cancellations list:-o') _inngest_cli_words 'table json ndjson ids'; return ;;
        'cancellations list:--profile') _inngest_cli_profiles; return ;;
        'cancellations delete:--output'|'cancellations delete:-o') _inngest_cli_words 'table json ndjson ids'; return ;;
        'cancellations delete:--profile') _inngest_cli_profiles; return ;;
        'config:--profile') _inngest_cli_profiles; return ;;
        'config show:--output'|'config show:-o') _inngest_cli_words 'table json'; return ;;
        'config show:--profile') _inngest_cli_profiles; return ;;
        'config path:--profile') _inngest_cli_profiles; return ;;
        'completions:--profile') _inngest_cli_profiles; return ;;
        'send:--name'|'send:-n'|'send:--data'|'send:-d'|'send:--id'|'send:--ts'|'send:--v'|'send:--user'|'send:--id-field'|'send:--ts-field'|'send:--max-request-bytes'|'send:--max-batch'|'send:--max-event-bytes'|'send:--concurrency'|'send:-c'|'send:--retries'|'send:--timeout'|'send:--linger'|'send:--rate'|'send:--wait-timeout'|'send:--signing-key'|'send:--event-key'|'send:--env'|'send:--event-api-url'|'serve:--host'|'serve:--port'|'serve:-p'|'serve:--event-key'|'serve:--signing-key'|'events list:--name'|'events list:-n'|'events list:--since'|'events list:--until'|'events list:--limit'|'events list:-l'|'events list:--api-url'|'events list:--signing-key'|'events list:--env'|'events get:--wait'|'events get:--api-url'|'events get:--signing-key'|'events get:--env'|'events runs:--api-url'|'events runs:--signing-key'|'events runs:--env'|'events tail:--name'|'events tail:-n'|'events tail:--interval'|'events tail:--output'|'events tail:-o'|'events tail:--api-url'|'events tail:--signing-key'|'events tail:--env'|'runs get:--api-url'|'runs get:--signing-key'|'runs get:--env'|'runs cancel:--api-url'|'runs cancel:--signing-key'|'runs cancel:--env'|'runs jobs:--api-url'|'runs jobs:--signing-key'|'runs jobs:--env'|'functions list:--app'|'functions list:--api-url'|'functions list:--signing-key'|'functions list:--env'|'cancellations create:--app'|'cancellations create:--function'|'cancellations create:--started-after'|'cancellations create:--started-before'|'cancellations create:--if'|'cancellations create:--api-url'|'cancellations create:--signing-key'|'cancellations create:--env'|'cancellations list:--api-url'|'cancellations list:--signing-key'|'cancellations list:--env'|'cancellations delete:--api-url'|'cancellations delete:--signing-key'|'cancellations delete:--env') return ;;
    esac
    if [[ $cur == -* ]]; then
        case "$path" in
        '') _inngest_cli_words '--version --debug --no-color --quiet -q --verbose --insecure --profile --help' ;;
        'send') _inngest_cli_words '--name -n --data -d --id --ts --v --user --file -f --format --id-field --ts-field --keep-ts --max-request-bytes --max-batch --max-event-bytes --concurrency -c --retries --timeout --on-error --failed-out --dry-run --follow -F --linger --rate --ignore-stdin -I --checkpoint --wait --wait-timeout --signing-key --event-key --env --dev --event-api-url --output -o --verbose --quiet -q --no-progress --debug --no-color --insecure --profile --help' ;;
        'serve') _inngest_cli_words '--host --port -p --db --event-key --signing-key --quiet -q --debug --no-color --verbose --insecure --profile --help' ;;
        'events') _inngest_cli_words '--debug --no-color --quiet -q --verbose --insecure --profile --help' ;;
        'events list') _inngest_cli_words '--name -n --since --until --limit -l --output -o --api-url --signing-key --env --dev --verbose --debug --no-color --quiet -q --insecure --profile --help' ;;
        'events get') _inngest_cli_words '--wait --output -o --api-url --signing-key --env --dev --verbose --debug --no-color --quiet -q --insecure --profile --help' ;;
        'events runs') _inngest_cli_words '--output -o --api-url --signing-key --env --dev --verbose --debug --no-color --quiet -q --insecure --profile --help' ;;
        'events tail') _inngest_cli_words '--name -n --interval --output -o --api-url --signing-key --env --dev --verbose --debug --no-color --quiet -q --insecure --profile --help' ;;
        'runs') _inngest_cli_words '--debug --no-color --quiet -q --verbose --insecure --profile --help' ;;
        'runs get') _inngest_cli_words '--output -o --api-url --signing-key --env --dev --verbose --debug --no-color --quiet -q --insecure --profile --help' ;;
        'runs cancel') _inngest_cli_words '--yes -y --dry-run --output -o --api-url --signing-key --env --dev --verbose --debug --no-color --quiet -q --insecure --profile --help' ;;
        'runs jobs') _inngest_cli_words '--output -o --api-url --signing-key --env --dev --verbose --debug --no-color --quiet -q --insecure --profile --help' ;;
        'functions') _inngest_cli_words '--debug --no-color --quiet -q --verbose --insecure --profile --help' ;;
        'functions list') _inngest_cli_words '--app --output -o --api-url --signing-key --env --dev --verbose --debug --no-color --quiet -q --insecure --profile --help' ;;
        'cancellations') _inngest_cli_words '--debug --no-color --quiet -q --verbose --insecure --profile --help' ;;
        'cancellations create') _inngest_cli_words '--app --function --started-after --started-before --if --yes -y --dry-run --output -o --api-url --signing-key --env --dev --verbose --debug --no-color --quiet -q --insecure --profile --help' ;;
        'cancellations list') _inngest_cli_words '--output -o --api-url --signing-key --env --dev --verbose --debug --no-color --quiet -q --insecure --profile --help' ;;
        'cancellations delete') _inngest_cli_words '--yes -y --dry-run --output -o --api-url --signing-key --env --dev --verbose --debug --no-color --quiet -q --insecure --profile --help' ;;
        'config') _inngest_cli_words '--debug --no-color --quiet -q --verbose --insecure --profile --help' ;;
        'config show') _inngest_cli_words '--output -o --debug --no-color --quiet -q --verbose --insecure --profile --help' ;;
        'config path') _inngest_cli_words '--debug --no-color --quiet -q --verbose --insecure --profile --help' ;;
        'completions') _inngest_cli_words '--debug --no-color --quiet -q --verbose --insecure --profile --help' ;;
        esac
        return
    fi
    case "$path" in
        '') _inngest_cli_words 'send serve events runs functions cancellations config completions' ;;
        'send') _inngest_cli_files -f; return ;;
        'events') _inngest_cli_words 'list get runs tail' ;;
        'events get') return ;;
        'events runs') return ;;
        'runs') _inngest_cli_words 'get cancel jobs' ;;
        'runs get') return ;;
        'runs cancel') return ;;
        'runs jobs') return ;;
        'functions') _inngest_cli_words 'list' ;;
        'cancellations') _inngest_cli_words 'create list delete' ;;
        'cancellations delete') return ;;
        'config') _inngest_cli_words 'show path' ;;
        'completions') _inngest_cli_words 'bash zsh fish'; return ;;
    esac
}

complete -F _inngest_cli inngest-cli
