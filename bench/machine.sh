# Sourced by the bench scripts: how busy the machine itself was during a run.
# On a virtual machine, "steal" is CPU time the host gave to other guests:
# figures taken with more than a few percent of it are noise, not results.
#   machine_mark            remember the counters now
#   machine_report [LABEL]  print steal and load since the mark
machine_counters() { head -1 /proc/stat; }
machine_mark() { MACHINE_MARK=$(machine_counters); MACHINE_LOAD0=$(cut -d' ' -f1 /proc/loadavg); }
machine_report() {
  local now; now=$(machine_counters)
  echo "$MACHINE_MARK $now" | awk -v label="${1:-run}" -v l0="$MACHINE_LOAD0" -v l1="$(cut -d' ' -f1 /proc/loadavg)" '{
    n = NF / 2; busy0 = 0; busy1 = 0
    for (i = 2; i <= 9; i++) { busy0 += $i; busy1 += $(i + n) }
    steal = $(9 + n) - $9; total = busy1 - busy0
    pct = total > 0 ? 100 * steal / total : 0
    note = ""; if (pct > 3) note = " (the host was busy: treat these figures as noise)"
    printf "# machine during %s: steal %.1f%% of CPU time%s; load average %s before, %s after\n", label, pct, note, l0, l1 }'
}
