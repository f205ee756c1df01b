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

_inngest_cli_profiles() {
    sed -n 's/^[[:space:]]*\[profiles\.\([A-Za-z0-9_-]*\)\].*/\1/p' "${INNGEST_CLI_CONFIG:-${XDG_CONFIG_HOME:-$HOME/.config}/inngest-cli/config.toml}" 2>/dev/null
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
            ':send'|':serve'|':events'|':runs'|':config'|':completions') path="${path:+$path }$word" ;;
            'events:list'|'events:get'|'events:runs'|'events:tail') path="${path:+$path }$word" ;;
            'runs:get') path="${path:+$path }$word" ;;
            'config:show'|'config:path') path="${path:+$path }$word" ;;
            ':--profile'|'send:--name'|'send:-n'|'send:--data'|'send:-d'|'send:--id'|'send:--ts'|'send:--v'|'send:--user'|'send:--file'|'send:-f'|'send:--format'|'send:--id-field'|'send:--ts-field'|'send:--max-request-bytes'|'send:--max-batch'|'send:--max-event-bytes'|'send:--concurrency'|'send:-c'|'send:--retries'|'send:--timeout'|'send:--on-error'|'send:--failed-out'|'send:--follow'|'send:-F'|'send:--linger'|'send:--rate'|'send:--checkpoint'|'send:--wait-timeout'|'send:--event-key'|'send:--env'|'send:--event-api-url'|'send:--output'|'send:-o'|'serve:--host'|'serve:--port'|'serve:-p'|'serve:--db'|'serve:--event-key'|'serve:--signing-key'|'events list:--name'|'events list:-n'|'events list:--since'|'events list:--until'|'events list:--limit'|'events list:-l'|'events list:--output'|'events list:-o'|'events list:--api-url'|'events list:--signing-key'|'events list:--env'|'events get:--wait'|'events get:--output'|'events get:-o'|'events get:--api-url'|'events get:--signing-key'|'events get:--env'|'events runs:--output'|'events runs:-o'|'events runs:--api-url'|'events runs:--signing-key'|'events runs:--env'|'events tail:--name'|'events tail:-n'|'events tail:--interval'|'events tail:--output'|'events tail:-o'|'events tail:--api-url'|'events tail:--signing-key'|'events tail:--env'|'runs get:--output'|'runs get:-o'|'runs get:--api-url'|'runs get:--signing-key'|'runs get:--env'|'config show:--output'|'config show:-o') skip=1 ;;
        esac
    done
    # the value of an option: --opt VALUE, --opt=VALUE
    opt=$prev
    if [[ $cur == = ]]; then cur=
    elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then opt=${COMP_WORDS[COMP_CWORD-2]}
    fi
    case "$path:$opt" in
        ':--profile') _inngest_cli_words "$(_inngest_cli_profiles)"; return ;;
        'send:--file'|'send:-f') _inngest_cli_files -f; return ;;
        'send:--format') _inngest_cli_words 'auto ndjson json'; return ;;
        'send:--on-error') _inngest_cli_words 'continue stop'; return ;;
        'send:--failed-out') _inngest_cli_files -f; return ;;
        'send:--follow'|'send:-F') _inngest_cli_files -f; return ;;
        'send:--checkpoint') _inngest_cli_files -f; return ;;
        'send:--output'|'send:-o') _inngest_cli_words 'table json ndjson ids'; return ;;
        'serve:--db') _inngest_cli_files -f; return ;;
        'events list:--output'|'events list:-o') _inngest_cli_words 'table json ndjson ids'; return ;;
        'events get:--output'|'events get:-o') _inngest_cli_words 'table json ndjson ids'; return ;;
        'events runs:--output'|'events runs:-o') _inngest_cli_words 'table json ndjson ids'; return ;;
        'runs get:--output'|'runs get:-o') _inngest_cli_words 'table json ndjson ids'; return ;;
        'config show:--output'|'config show:-o') _inngest_cli_words 'table json'; return ;;
        'send:--name'|'send:-n'|'send:--data'|'send:-d'|'send:--id'|'send:--ts'|'send:--v'|'send:--user'|'send:--id-field'|'send:--ts-field'|'send:--max-request-bytes'|'send:--max-batch'|'send:--max-event-bytes'|'send:--concurrency'|'send:-c'|'send:--retries'|'send:--timeout'|'send:--linger'|'send:--rate'|'send:--wait-timeout'|'send:--event-key'|'send:--env'|'send:--event-api-url'|'serve:--host'|'serve:--port'|'serve:-p'|'serve:--event-key'|'serve:--signing-key'|'events list:--name'|'events list:-n'|'events list:--since'|'events list:--until'|'events list:--limit'|'events list:-l'|'events list:--api-url'|'events list:--signing-key'|'events list:--env'|'events get:--wait'|'events get:--api-url'|'events get:--signing-key'|'events get:--env'|'events runs:--api-url'|'events runs:--signing-key'|'events runs:--env'|'events tail:--name'|'events tail:-n'|'events tail:--interval'|'events tail:--output'|'events tail:-o'|'events tail:--api-url'|'events tail:--signing-key'|'events tail:--env'|'runs get:--api-url'|'runs get:--signing-key'|'runs get:--env') return ;;
    esac
    if [[ $cur == -* ]]; then
        case "$path" in
        '') _inngest_cli_words '--version --debug --no-color --quiet -q --verbose --insecure --profile --help' ;;
        'send') _inngest_cli_words '--name -n --data -d --id --ts --v --user --file -f --format --id-field --ts-field --keep-ts --max-request-bytes --max-batch --max-event-bytes --concurrency -c --retries --timeout --on-error --failed-out --dry-run --follow -F --linger --rate --ignore-stdin -I --checkpoint --wait --wait-timeout --event-key --env --dev --event-api-url --output -o --verbose --quiet -q --no-progress --help' ;;
        'serve') _inngest_cli_words '--host --port -p --db --event-key --signing-key --quiet -q --help' ;;
        'events') _inngest_cli_words '--help' ;;
        'events list') _inngest_cli_words '--name -n --since --until --limit -l --output -o --api-url --signing-key --env --dev --verbose --help' ;;
        'events get') _inngest_cli_words '--wait --output -o --api-url --signing-key --env --dev --verbose --help' ;;
        'events runs') _inngest_cli_words '--output -o --api-url --signing-key --env --dev --verbose --help' ;;
        'events tail') _inngest_cli_words '--name -n --interval --output -o --api-url --signing-key --env --dev --verbose --help' ;;
        'runs') _inngest_cli_words '--help' ;;
        'runs get') _inngest_cli_words '--output -o --api-url --signing-key --env --dev --verbose --help' ;;
        'config') _inngest_cli_words '--help' ;;
        'config show') _inngest_cli_words '--output -o --help' ;;
        'config path') _inngest_cli_words '--help' ;;
        'completions') _inngest_cli_words '--help' ;;
        esac
        return
    fi
    case "$path" in
        '') _inngest_cli_words 'send serve events runs config completions' ;;
        'send') _inngest_cli_files -f; return ;;
        'events') _inngest_cli_words 'list get runs tail' ;;
        'events get') return ;;
        'events runs') return ;;
        'runs') _inngest_cli_words 'get' ;;
        'runs get') return ;;
        'config') _inngest_cli_words 'show path' ;;
        'completions') _inngest_cli_words 'bash zsh fish'; return ;;
    esac
}

complete -F _inngest_cli inngest-cli
