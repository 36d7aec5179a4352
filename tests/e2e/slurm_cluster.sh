#!/usr/bin/env bash
# A one-node Slurm cluster on localhost, owned by the calling script:
#   source slurm_cluster.sh; slurm_cluster_start DIR   (exports SLURM_CONF)
#   ... sbatch / squeue ...;  slurm_cluster_stop       (also on the caller's EXIT trap)
# munged (its own key and socket), slurmctld and slurmd run from DIR with a
# minimal slurm.conf: no cgroups (proctrack/linuxproc, task/none), no
# accounting, one node with this machine's CPUs. Needs root (slurmd starts the
# jobs as the submitting user). slurm_cluster_start returns 77 with the reason
# in $slurm_why when the cluster cannot run here.
slurm_pids=()

slurm_free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 30000))
    if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then echo "$p"; return 0; fi
  done
  return 1
}

slurm_cluster_start() {
  local d=$1 t
  slurm_why=""
  for t in munged slurmctld slurmd sbatch squeue; do
    if ! command -v "$t" >/dev/null && [ ! -x "/usr/sbin/$t" ]; then
      slurm_why="$t is not installed (scripts/deps.sh installs slurm-wlm and munge)"
      return 77
    fi
  done
  if [ "$(id -u)" -ne 0 ]; then
    slurm_why="slurmd must run as root to start jobs (this is uid $(id -u))"
    return 77
  fi
  export PATH="$PATH:/usr/sbin"
  mkdir -p "$d/munge" "$d/state" "$d/spool"
  chmod 700 "$d/munge"
  head -c 1024 /dev/urandom >"$d/munge/munge.key"
  chmod 400 "$d/munge/munge.key"
  munged --force --key-file="$d/munge/munge.key" --socket="$d/munge/munge.socket" \
    --pid-file="$d/munge/munged.pid" --log-file="$d/munge/munged.log" \
    --seed-file="$d/munge/munged.seed" 2>"$d/munge/start.err" || {
    slurm_why="munged does not start: $(tr '\n' ' ' <"$d/munge/start.err")"
    return 77
  }
  slurm_pids+=("$(cat "$d/munge/munged.pid")")
  local cport dport
  cport=$(slurm_free_port) && dport=$(slurm_free_port) || {
    slurm_why="no free TCP port for slurmctld/slurmd"
    return 77
  }
  cat >"$d/slurm.conf" <<CONF
ClusterName=vsrtest
SlurmctldHost=localhost
SlurmctldPort=$cport
SlurmdPort=$dport
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$d/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool
SlurmctldPidFile=$d/slurmctld.pid
SlurmdPidFile=$d/slurmd.pid
SlurmctldLogFile=$d/slurmctld.log
SlurmdLogFile=$d/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
SlurmdTimeout=30
NodeName=vsrnode NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=vsr Nodes=vsrnode Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF="$d/slurm.conf"
  slurmctld -D -i -f "$SLURM_CONF" >"$d/slurmctld.out" 2>&1 &
  slurm_pids+=("$!")
  slurmd -D -N vsrnode -f "$SLURM_CONF" >"$d/slurmd.out" 2>&1 &
  slurm_pids+=("$!")
  # the node is up when sinfo says idle (bounded: 60 s)
  local i state=""
  for i in $(seq 1 120); do
    state=$(sinfo -h -N -o '%T' 2>/dev/null | head -1 || true)
    [ "$state" = idle ] && return 0
    for p in "${slurm_pids[@]:1}"; do
      if ! kill -0 "$p" 2>/dev/null; then
        slurm_why="a Slurm daemon exited at start: $(tail -n 2 "$d"/slurm*.log "$d"/slurm*.out 2>/dev/null | grep -v '^==' | grep . | tail -n 1)"
        return 77
      fi
    done
    sleep 0.5
  done
  slurm_why="the node did not come up within 60 s (state '$state'): $(tail -n 1 "$d/slurmd.log" 2>/dev/null)"
  return 77
}

slurm_cluster_stop() {
  local p e
  [ ${#slurm_pids[@]} -gt 0 ] || return 0
  # jobs first, so their slurmstepd processes end with them (bounded: 20 s)
  if [ -n "${SLURM_CONF:-}" ]; then
    scancel --partition=vsr 2>/dev/null || true
    for _ in $(seq 1 40); do
      [ -z "$(squeue -h 2>/dev/null)" ] && break
      sleep 0.5
    done
  fi
  for p in "${slurm_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${slurm_pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  done
  # a slurmstepd of this cluster still there (its job outlived slurmd): they
  # carry this cluster's SLURM_CONF in their environment
  for e in /proc/[0-9]*/environ; do
    p=${e#/proc/}
    p=${p%/environ}
    [ "$(cat "/proc/$p/comm" 2>/dev/null)" = slurmstepd ] || continue
    tr '\0' '\n' <"$e" 2>/dev/null | grep -qxF "SLURM_CONF=$SLURM_CONF" && kill -9 "$p" 2>/dev/null
  done
  slurm_pids=()
}
