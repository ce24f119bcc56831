package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// lambdaFullCPUMB is the memory size at which a Lambda function gets one
// whole vCPU; below it, CPU scales linearly with memory.
const lambdaFullCPUMB = 1769

// vCPUs is the share of CPU Lambda gives a function of memoryMB.
func vCPUs(memoryMB int) float64 { return float64(memoryMB) / lambdaFullCPUMB }

// cpuLimit is a CPU cgroup of this program's own whose processes get the
// CPU time of a Lambda function of one memory size: a CFS bandwidth quota of
// vCPUs(memory) × period in each period (cgroup v1 cpu.cfs_quota_us, or
// cgroup v2 cpu.max).
type cpuLimit struct {
	dir string
	v2  bool
}

// cgroupRoot finds a writable CPU cgroup hierarchy: cgroup v2 at
// /sys/fs/cgroup, or the v1 cpu controller at /sys/fs/cgroup/cpu.
func cgroupRoot() (dir string, v2 bool, err error) {
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		return "/sys/fs/cgroup", true, nil
	}
	if _, err := os.Stat("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"); err == nil {
		return "/sys/fs/cgroup/cpu", false, nil
	}
	return "", false, errors.New("no CPU cgroup controller at /sys/fs/cgroup (v2) or /sys/fs/cgroup/cpu (v1): CPU cannot be limited here")
}

// newCPULimit makes a cgroup limited to the CPU of a memoryMB function.
func newCPULimit(memoryMB int, period time.Duration) (*cpuLimit, error) {
	root, v2, err := cgroupRoot()
	if err != nil {
		return nil, err
	}
	l := &cpuLimit{dir: filepath.Join(root, fmt.Sprintf("bench-memory-%d-%d", os.Getpid(), memoryMB)), v2: v2}
	if err := os.Mkdir(l.dir, 0o755); err != nil {
		return nil, fmt.Errorf("make cgroup (run as root, or with a delegated cgroup): %w", err)
	}
	periodUS := period.Microseconds()
	quotaUS := int64(float64(periodUS) * vCPUs(memoryMB))
	if v2 {
		err = l.write("cpu.max", fmt.Sprintf("%d %d", quotaUS, periodUS))
	} else if err = l.write("cpu.cfs_period_us", strconv.FormatInt(periodUS, 10)); err == nil {
		err = l.write("cpu.cfs_quota_us", strconv.FormatInt(quotaUS, 10))
	}
	if err != nil {
		l.remove()
		return nil, err
	}
	return l, nil
}

// add moves process pid (all its threads) into the cgroup; the processes it
// starts from then on are born there.
func (l *cpuLimit) add(pid int) error { return l.write("cgroup.procs", strconv.Itoa(pid)) }

// throttled is the time the kernel held the cgroup's processes back for
// want of quota so far (cpu.stat), or 0 where it is not reported.
func (l *cpuLimit) throttled() time.Duration {
	data, err := os.ReadFile(filepath.Join(l.dir, "cpu.stat"))
	if err != nil {
		return 0
	}
	key, unit := "throttled_time", time.Nanosecond
	if l.v2 {
		key, unit = "throttled_usec", time.Microsecond
	}
	n, _ := strconv.ParseInt(field(string(data), key), 10, 64)
	return time.Duration(n) * unit
}

// remove deletes the cgroup once the processes in it have ended.
func (l *cpuLimit) remove() error {
	var err error
	for range 100 {
		if err = syscall.Rmdir(l.dir); err == nil || errors.Is(err, syscall.ENOENT) {
			return nil
		}
		time.Sleep(20 * time.Millisecond) // a killed process is still being reaped
	}
	return fmt.Errorf("remove cgroup %s: %w", l.dir, err)
}

func (l *cpuLimit) write(file, value string) error {
	if err := os.WriteFile(filepath.Join(l.dir, file), []byte(value), 0); err != nil {
		return fmt.Errorf("cgroup %s: %w", file, err)
	}
	return nil
}
