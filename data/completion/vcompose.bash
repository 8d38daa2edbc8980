# SPDX-License-Identifier: MIT
# bash completion for vcompose. The commands and each command's options are
# read from `vcompose --help` and `vcompose COMMAND --help`, so they cannot
# drift from the binary.
_vcompose()
{
	local cur prev cmd words
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	if [ "$COMP_CWORD" -eq 1 ]; then
		words=$("${COMP_WORDS[0]}" --help 2>/dev/null |
			sed -n 's/^  \([a-z][a-z]*\)  .*/\1/p')
		COMPREPLY=($(compgen -W "$words --help --version" -- "$cur"))
		return
	fi
	cmd=${COMP_WORDS[1]}
	case $prev in
	--root|-o|--output|--cache)
		COMPREPLY=($(compgen -d -- "$cur")); return ;;
	--owner)
		COMPREPLY=($(compgen -W "keep root" -- "$cur")); return ;;
	--compress)
		COMPREPLY=($(compgen -W "none lz4 lz4hc" -- "$cur")); return ;;
	--jobs|--source-date-epoch|--size|--label|--uuid|--salt|--roothash|--seed)
		return ;;
	esac
	case $cur in
	-*)
		words=$("${COMP_WORDS[0]}" "$cmd" --help 2>/dev/null |
			grep -o -- '--[a-z][a-z0-9-]*' | sort -u)
		COMPREPLY=($(compgen -W "$words" -- "$cur"))
		;;
	*)
		if [ "$cmd" = verity ] && [ "$COMP_CWORD" -eq 2 ]; then
			COMPREPLY=($(compgen -W "format verify" -- "$cur"))
		elif [ "$cmd" = sign ] && [ "$COMP_CWORD" -eq 2 ]; then
			COMPREPLY=($(compgen -W "roothash pe dps join verify" -- "$cur"))
		else
			COMPREPLY=($(compgen -f -- "$cur"))
		fi
		;;
	esac
}
complete -o filenames -F _vcompose vcompose
