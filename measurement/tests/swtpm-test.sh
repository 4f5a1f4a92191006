#!/usr/bin/env bash
# swtpm integration test: seal/unseal through cairn-config on a LUKS2 image file, policy
# mismatch after a PCR extend, PIN right and wrong, dictionary-attack lockout with its
# remaining time, recovery and resealing (current and forward to a predicted medium), and
# the interactive prompt (recovery passphrase over a pipe; TPM PIN on a pseudo-terminal).
# Usage: swtpm-test.sh CAIRN_CONFIG CAIRN_MEASURE [MAKE_TEST_MEDIUM]
# Owns its swtpm process and kills it on exit.  Exits 77 when swtpm/tpm2-tools are missing.
set -euo pipefail

CFG=$1
MEAS=$2
for t in swtpm tpm2_pcrextend tpm2_dictionarylockout; do
	command -v "$t" >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done

W=$(mktemp -d /tmp/cairn-swtpm-test.XXXXXX)
SWTPM_PID=
cleanup() {
	if [ -n "$SWTPM_PID" ]; then kill "$SWTPM_PID" 2>/dev/null || true; wait "$SWTPM_PID" 2>/dev/null || true; fi
	rm -rf "$W"
}
trap cleanup EXIT

mkdir -p "$W/state"
swtpm socket --tpm2 --tpmstate dir="$W/state" \
	--server type=unixio,path="$W/sock" --ctrl type=unixio,path="$W/sock.ctrl" \
	--flags not-need-init,startup-clear >"$W/swtpm.log" 2>&1 &
SWTPM_PID=$!
for _ in $(seq 50); do [ -S "$W/sock" ] && break; sleep 0.1; done
[ -S "$W/sock" ] || { echo "SKIP: swtpm did not start"; cat "$W/swtpm.log"; exit 77; }
export TPM2TOOLS_TCTI="swtpm:path=$W/sock"

fails=0
check() { # check NAME EXPECTED_RC CMD...
	local name=$1 want=$2 rc=0
	shift 2
	"$@" >"$W/out" 2>&1 || rc=$?
	if [ "$rc" -eq "$want" ]; then
		echo "ok   $name (exit $rc)"
	else
		echo "FAIL $name: exit $rc, expected $want"; sed 's/^/     /' "$W/out"; fails=$((fails + 1))
	fi
}
expect_output() { # expect_output NAME PATTERN
	if grep -q -E -- "$2" "$W/out"; then echo "ok   $1"; else
		echo "FAIL $1: no /$2/ in:"; sed 's/^/     /' "$W/out"; fails=$((fails + 1)); fi
}
expect_no_output() { # expect_no_output NAME PATTERN
	if ! grep -q -E -- "$2" "$W/out"; then echo "ok   $1"; else
		echo "FAIL $1: /$2/ in:"; sed 's/^/     /' "$W/out"; fails=$((fails + 1)); fi
}

printf 'correct horse battery\n' >"$W/rec"
printf 'wrong horse\n' >"$W/badrec"
printf '2468\n' >"$W/pin"
printf '1357\n' >"$W/badpin"
FAST=(--recovery-cost-ms 50 --recovery-memory-kb 16384)

# --- seal / unseal without PIN
truncate -s 8M "$W/a.img"
check "format with TPM key" 0 "$CFG" format --device "$W/a.img" --recovery-passphrase-file "$W/rec" "${FAST[@]}"
check "unseal and verify" 0 "$CFG" unlock --device "$W/a.img"
expect_output "unlock prints the console line" '^cairn: config unlocked$'
check "status" 0 "$CFG" status --device "$W/a.img"
expect_output "token lists the default PCRs" 'pcrs 0,2,4,7,8,9'
check "token JSON in the LUKS2 header (cryptsetup sees it)" 0 cryptsetup luksDump "$W/a.img"
expect_output "token type" 'cairn-tpm2'
if grep -q -F 'correct horse' "$W/a.img"; then echo "FAIL passphrase in clear in the image"; fails=$((fails + 1)); fi

# --- policy mismatch
tpm2_pcrextend 8:sha256=0000000000000000000000000000000000000000000000000000000000000008
check "policy mismatch after PCR 8 extend" 5 "$CFG" unlock --device "$W/a.img"
expect_output "mismatch names the PCR" 'measurements changed \(PCR 8\)'
check "report explains" 1 "$CFG" report --device "$W/a.img"
expect_output "report names PCR 8" 'PCR 8'
check "wrong recovery passphrase refused" 7 "$CFG" recover --device "$W/a.img" --recovery-passphrase-file "$W/badrec"
check "recovery passphrase still opens" 0 "$CFG" recover --device "$W/a.img" --recovery-passphrase-file "$W/rec"
# prompt: the interactive recovery the dom0 console runs (here over a pipe, not a tty)
prompt() { # prompt INPUT: cairn-config prompt with INPUT as what the person types
	printf "$1" | "$CFG" prompt --device "$W/a.img" --tty /proc/self/fd/0
}
check "prompt: three wrong passphrases" 7 prompt 'a\nb\nc\n'
expect_output "prompt counts the attempts" 'wrong passphrase \(attempt 3 of 3\)'
expect_output "prompt ends locked" '^cairn: config locked: wrong recovery passphrase \(3 attempts\)$'
check "prompt: empty, wrong, right, no reseal" 0 prompt "\\nwrong\\n$(cat "$W/rec")\\nn\\n"
expect_output "prompt opens" '^cairn: config unlocked$'
expect_output "prompt did not reseal" 'not resealed'
check "still locked by the TPM after no" 5 "$CFG" unlock --device "$W/a.img"
check "prompt: right passphrase, reseal" 0 prompt "$(cat "$W/rec")\\nyes\\n"
expect_output "prompt resealed" '^cairn: config resealed to this boot$'
check "unlocks by the TPM after the prompt's reseal" 0 "$CFG" unlock --device "$W/a.img"
if grep -q -F "$(cat "$W/rec")" "$W/out"; then echo "FAIL prompt printed the passphrase"; fails=$((fails + 1)); fi
tpm2_pcrextend 8:sha256=0000000000000000000000000000000000000000000000000000000000000008
check "reseal to current values (recovery)" 0 "$CFG" reseal --device "$W/a.img" --recovery-passphrase-file "$W/rec"
check "unlocks after reseal" 0 "$CFG" unlock --device "$W/a.img"
check "reseal by TPM (no passphrase)" 0 "$CFG" reseal --device "$W/a.img"
check "unlocks after TPM reseal" 0 "$CFG" unlock --device "$W/a.img"
check "recovery passphrase survives reseals" 0 "$CFG" recover --device "$W/a.img" --recovery-passphrase-file "$W/rec"

# --- forward sealing to a predicted medium (PCR 8/9 predicted, others current)
if [ -n "${3:-}" ] && "$3" "$W/medium" >/dev/null && "$3" "$W/medium-image" image >/dev/null &&
	"$3" "$W/medium-cmdline" cmdline >/dev/null; then
	check "reseal forward to a medium" 0 "$CFG" reseal --device "$W/a.img" --root "$W/medium"
	check "locked: this boot is not that medium" 5 "$CFG" unlock --device "$W/a.img"
	check "status lists recorded events" 0 "$CFG" status --device "$W/a.img"
	expect_output "events recorded" '[1-9][0-9]* recorded events'
	check "report: same medium predicted" 1 "$CFG" report --device "$W/a.img" --root "$W/medium"
	expect_output "this boot is not the sealed path" 'did not follow the predicted path'
	check "report: dom0 image changed" 1 "$CFG" report --device "$W/a.img" --root "$W/medium-image"
	expect_output "names the dom0 image" 'the dom0 image changed'
	check "report: dom0 command line changed" 1 "$CFG" report --device "$W/a.img" --root "$W/medium-cmdline"
	expect_output "names the dom0 command line" 'the dom0 command line changed: .* debug"'
	if [ -n "${CAIRN_TOKEN_SAMPLE:-}" ]; then # refresh the fuzz seed: CAIRN_TOKEN_SAMPLE=.../seeds/token/sealed.json
		cryptsetup token export --token-id 0 "$W/a.img" >"$CAIRN_TOKEN_SAMPLE"
	fi
	check "unlock still by recovery" 0 "$CFG" recover --device "$W/a.img" --recovery-passphrase-file "$W/rec"
else
	echo "SKIP forward sealing part: no GRUB EFI modules"
fi

# --- PIN
truncate -s 8M "$W/b.img"
check "format with PIN" 0 "$CFG" format --device "$W/b.img" --recovery-passphrase-file "$W/rec" --pin-file "$W/pin" "${FAST[@]}" --pcrs 7
check "PIN needed" 9 "$CFG" unlock --device "$W/b.img"
check "right PIN" 0 "$CFG" unlock --device "$W/b.img" --pin-file "$W/pin"
tpm2_dictionarylockout --setup-parameters --max-tries=3 --recovery-time=120 --lockout-recovery-time=300 >/dev/null
tpm2_dictionarylockout --clear-lockout >/dev/null
check "wrong PIN" 7 "$CFG" unlock --device "$W/b.img" --pin-file "$W/badpin"
expect_output "wrong PIN message" 'wrong PIN \(1 of 3'
check "wrong PIN again" 7 "$CFG" unlock --device "$W/b.img" --pin-file "$W/badpin"
check "third wrong PIN" 7 "$CFG" unlock --device "$W/b.img" --pin-file "$W/badpin"
check "lockout" 6 "$CFG" unlock --device "$W/b.img" --pin-file "$W/pin"
expect_output "lockout with remaining time" 'TPM lockout after 3 failed PIN attempts \(limit 3\); retry in at most 120 s'
tpm2_dictionarylockout --clear-lockout >/dev/null
check "right PIN after lockout cleared" 0 "$CFG" unlock --device "$W/b.img" --pin-file "$W/pin"

# prompt with a PIN: what dom0 asks on tty1 when the token wants a PIN and the measurements
# match.  Typed on a pseudo-terminal (pty-drive.py: echo must be off, keys typed before the
# question are dropped); the transcript is in the output as "tty| ...".
if command -v python3 >/dev/null; then
	PIN=$(cat "$W/pin") BADPIN=$(cat "$W/badpin") REC=$(cat "$W/rec")
	ASK_PIN='TPM PIN: $' ASK_REC='Recovery passphrase: $'
	pty_prompt() { # pty_prompt [--expect RX --send TEXT]...: cairn-config prompt on b.img
		"$DRIVE" --secret "$PIN" --secret "$BADPIN" --secret "$REC" --secret 97531 "$@" -- \
			"$CFG" prompt --device "$W/b.img" --tty '{tty}'
	}
	DRIVE="$(dirname "$0")/pty-drive.py"
	check "prompt: right PIN" 0 pty_prompt --expect "$ASK_PIN" --send "$PIN"
	expect_output "prompt asks for the PIN first" '^cairn: config recovery: type the TPM PIN on /dev/pts/'
	expect_output "prompt opens with the PIN" '^cairn: config recovery: opened with the TPM PIN$'
	expect_output "prompt with the PIN: unlocked line" '^cairn: config unlocked$'
	expect_no_output "prompt with the PIN: no passphrase, no reseal" 'Recovery passphrase|Seal its key|resealed'
	check "prompt: wrong PIN, then right" 0 pty_prompt --expect "$ASK_PIN" --send "$BADPIN" --expect "$ASK_PIN" --send "$PIN"
	expect_output "wrong PIN: tries left, on the consoles" 'wrong PIN \(attempt 1 of 3; 2 more before TPM lockout\)$'
	expect_output "wrong PIN: tries left, on the terminal" '^tty\|   Wrong PIN. The TPM allows 2 more wrong PINs before it locks out.$'
	tpm2_dictionarylockout --clear-lockout >/dev/null
	check "prompt: empty PIN line falls back to the passphrase" 0 pty_prompt --expect "$ASK_PIN" --send "" \
		--expect "$ASK_REC" --send "$REC"
	expect_output "fallback said" 'no PIN typed; asking for the recovery passphrase$'
	expect_output "fallback: nothing to reseal" 'not resealed: the boot is the one the key is sealed to$'
	expect_no_output "fallback: no reseal question" 'Seal its key'
	check "prompt: three wrong PINs, lockout, passphrase" 0 pty_prompt --expect "$ASK_PIN" --send "$BADPIN" \
		--expect "$ASK_PIN" --send "$BADPIN" --expect "$ASK_PIN" --send "$BADPIN" --expect "$ASK_REC" --send "$REC"
	expect_output "last try before lockout" 'wrong PIN \(attempt 2 of 3; 1 more before TPM lockout\)$'
	expect_output "lockout said, with its time" 'TPM lockout after 3 failed PIN attempts \(limit 3\): PINs refused for at most 120 s; asking for the recovery passphrase$'
	check "prompt: in lockout, straight to the passphrase" 0 pty_prompt --expect "$ASK_REC" --send "$REC"
	expect_output "lockout said before any PIN" '^tty\|   The TPM is in dictionary-attack lockout after 3 failed PIN attempts'
	expect_no_output "no PIN asked in lockout" 'type the TPM PIN'
	tpm2_dictionarylockout --clear-lockout >/dev/null
	if grep -q -F -e "$PIN" -e "$REC" "$W/out"; then echo "FAIL a prompt printed a secret"; fails=$((fails + 1)); fi
	# Measurements changed as well: the report/passphrase path, and a reseal keeps a PIN.
	tpm2_pcrextend 7:sha256=0000000000000000000000000000000000000000000000000000000000000007
	check "PIN token, measurements changed: exit 5 (not 9)" 5 "$CFG" unlock --device "$W/b.img"
	check "prompt: measurements changed, passphrase, reseal with a new PIN" 0 pty_prompt --expect "$ASK_REC" --send "$REC" \
		--expect '\[y/N\] $' --send y --expect 'New TPM PIN .*: $' --send 97531 --expect 'same PIN again: $' --send 97531
	expect_no_output "no PIN asked when the measurements changed" 'type the TPM PIN'
	expect_output "resealed with a PIN" '^cairn: config resealed to this boot \(with a TPM PIN\)$'
	printf '97531\n' >"$W/newpin"
	check "resealed: a PIN is needed" 9 "$CFG" unlock --device "$W/b.img"
	check "resealed: the new PIN opens" 0 "$CFG" unlock --device "$W/b.img" --pin-file "$W/newpin"
	check "resealed: the old PIN does not" 7 "$CFG" unlock --device "$W/b.img" --pin-file "$W/pin"
	tpm2_dictionarylockout --clear-lockout >/dev/null
else
	echo "SKIP prompt with a PIN: no python3 for the pseudo-terminal"
fi

# --- no TPM
check "no TPM" 3 "$CFG" unlock --device "$W/b.img" --pin-file "$W/pin" --tcti "swtpm:path=$W/nonexistent"
expect_output "no TPM message" 'no TPM'
check "no token" 8 env TPM2TOOLS_TCTI="$TPM2TOOLS_TCTI" sh -c "truncate -s 8M '$W/c.img' && '$CFG' format --no-tpm --device '$W/c.img' --recovery-passphrase-file '$W/rec' --recovery-cost-ms 50 --recovery-memory-kb 16384 && '$CFG' unlock --device '$W/c.img'"

# --- raw PCR read through cairn-measure
check "cairn-measure pcrs" 0 "$MEAS" pcrs --pcrs 7,8
expect_output "pcr 8 value" '^8 [0-9a-f]{64}$'

echo "swtpm-test: $fails failure(s)"
[ "$fails" -eq 0 ]
