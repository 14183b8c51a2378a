# SPDX-License-Identifier: GPL-2.0
# bash completion for refstore(1)
_refstore()
{
	local cur prev cmd i
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	cmd=
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-*) ;;
		*) cmd=${COMP_WORDS[i]} && break ;;
		esac
	done
	local common="-j --json -p --pretty -h --help"
	if [ -z "$cmd" ]; then
		COMPREPLY=($(compgen -W "@COMMANDS@ --version $common" -- "$cur"))
		return
	fi
	case $prev in
	--heap)
		COMPREPLY=($(compgen -W "$(ls /sys/kernel/debug/refstore/heaps 2>/dev/null)" -- "$cur"))
		return
		;;
	--interval | --count | --fd | --id | --depth | --max-objects | -n) return ;;
	--pid)
		COMPREPLY=($(compgen -W "$(refstore heaps 2>/dev/null | awk 'NR > 1 { print $1 }')" -- "$cur"))
		return
		;;
	--by)
		COMPREPLY=($(compgen -W "tag creator" -- "$cur"))
		return
		;;
	esac
	case $cmd in
	gc)
		local verbs="collect enable disable threshold debug delay freeze unfreeze garbage stats"
		local v=
		for ((i = i + 1; i < COMP_CWORD; i++)); do
			case ${COMP_WORDS[i]} in
			-* | [0-9]*) ;;
			*) v=${COMP_WORDS[i]} && break ;;
			esac
		done
		if [ -z "$v" ]; then
			COMPREPLY=($(compgen -W "$verbs --heap --all $common" -- "$cur"))
		elif [ "$v" = debug ]; then
			COMPREPLY=($(compgen -W "stats saveall stats,saveall 0 --heap $common" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "--heap --all $common" -- "$cur"))
		fi
		;;
	stats) COMPREPLY=($(compgen -W "--heap $common" -- "$cur")) ;;
	heaps) COMPREPLY=($(compgen -W "--all $common" -- "$cur")) ;;
	top) COMPREPLY=($(compgen -W "-n --by --pid --fd $common" -- "$cur")) ;;
	snapshot) COMPREPLY=($(compgen -W "save diff --by --pid --fd $common" -- "$cur") $(compgen -f -- "$cur")) ;;
	graph) COMPREPLY=($(compgen -W "--max-objects --id --depth --pid --fd $common" -- "$cur")) ;;
	why) COMPREPLY=($(compgen -W "--dot --pid --fd $common" -- "$cur")) ;;
	watch) COMPREPLY=($(compgen -W "--interval --count $common" -- "$cur")) ;;
	run) COMPREPLY=($(compgen -f -- "$cur") $(compgen -W "- $common" -- "$cur")) ;;
	*) COMPREPLY=($(compgen -W "$common" -- "$cur")) ;;
	esac
}
complete -F _refstore refstore
