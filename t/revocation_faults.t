#!/usr/bin/perl
# Revocation when Redis misbehaves (SPEC "Revocation in Redis",
# ticket_revocation_fail, ticket_revocation_max_stale, the 503 row of
# "Responses"): not loaded yet, idle, stopped, paused (SIGSTOP), restarted
# empty, stream trimmed, fail open, nginx reloaded while revocations flow,
# the syncing worker killed, a list key of the wrong type.
# Revocations are written as any writer would (row and stream entry in one
# MULTI/EXEC).  Nothing sleeps for propagation: requests poll until the
# expected status arrives, and the time it took is asserted.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use POSIX ();
use Time::HiRes qw(time sleep);
use TicketTest;

plan(tests => 82);

my $MAX_STALE = 3;   # refreshed each second (XREAD BLOCK 1000): room to spare
my $PRE = 'ticket:revoked:';

sub conf {
    my (%o) = @_;
    my $extra = $o{extra} // '';
    return <<"EOF";
    ticket_redis 127.0.0.1:%%PORT:redis%% timeout=300ms;
    ticket_revocation_max_stale ${MAX_STALE}s;
    $extra

    log_format t '\$status \$ticket_reason \$ticket_jti \$pid';

    server {
        listen 127.0.0.1:%%PORT%% reuseport;
        access_log %%DIR%%/logs/t.log t;

        location /api/ {
            ticket user;
            ticket_keys %%DIR%%/keys/k1.jwks;
            add_header X-Reason \$ticket_reason always;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
    }

    server {
        listen 127.0.0.1:%%PORT:backend%%;
        location / {
            return 200 "backend\\n";
        }
    }
EOF
}

###########################################################################
# A: fail closed, two workers
###########################################################################

my $t = TicketTest->new;
my $k = $t->keygen('ES256', 'k1');
my $exp = int(time) + 1800;
my $V = mint($t, $k, sub => 'valid', jti => 'jti-valid');

# ---- not yet loaded: nginx started while Redis is down -------------------

$t->start(conf(), workers => 2);

{
    my @r = map { $t->get('/api/x', ticket => $V) } 1 .. 10;
    is(scalar(grep { $_->{status} == 503 } @r), 10,
       'not loaded, Redis down: valid ticket 503')
        or diag(join ' ', map { $_->{status} } @r);
    ok(!grep({ !defined $_->{headers}{'retry-after'} } @r),
       'not loaded: every 503 carries Retry-After');
    is($r[0]{headers}{'x-reason'}, 'revocation_unavailable',
       'not loaded: reason revocation_unavailable');

    $t->start_redis;
    my $w = watch($t, $V, until => 200);
    ok($w->{reached}, 'not loaded: 200 once Redis is up')
        and note(sprintf 'not loaded -> 200 after %.0f ms (Redis start)',
                 $w->{at} * 1000);
    is_deeply([grep { $_ != 503 && $_ != 200 } @{$w->{statuses}}], [],
              'not loaded: only 503 then 200, never anything else');
}

# ---- idle: Redis healthy, no stream traffic, longer than max_stale ------

{
    my $w = watch($t, $V, for => $MAX_STALE + 1.5);
    my @bad = grep { $_ != 200 } @{$w->{statuses}};
    ok(!@bad, "idle stream for ${\($MAX_STALE + 1.5)} s with Redis up: "
              . 'valid ticket stays 200')
        or diag(sprintf 'first non-200 (%s) after %.2f s', $bad[0],
                first_not($w, 200));
}

# ---- Redis stopped: fresh until stale, then 503; restart recovers -------

my $R1 = mint($t, $k, sub => 'ruth', jti => 'jti-r1', exp => $exp);
my $cut = int(time) - 5;
my $SAM = mint($t, $k, sub => 'sam', tenant => 'acme', iat => $cut - 60);

{
    revoke($t, 'jti', 'jti-r1', $exp);
    revoke($t, 'sub', 'acme/sam', $cut);
    my $w = watch($t, $R1, until => 401);
    ok($w->{reached}, 'stop: jti revoked before the outage 401');
    $w = watch($t, $SAM, until => 401);
    ok($w->{reached}, 'stop: sub revoked before the outage 401');
    # a fresh contact: wait for the valid ticket to pass (state is fresh)
    $w = watch($t, $V, until => 200);
    ok($w->{reached}, 'stop: valid ticket 200 before the outage');

    $t->stop_redis;
    $w = watch($t, $V, until => 503, limit => $MAX_STALE + 3);
    my $first = $w->{statuses}[0];
    is($first, 200, 'stop: first request after Redis stopped still 200');
    ok($w->{reached}, 'stop: 503 once stale');
    note(sprintf 'stop: 503 after %.0f ms', ($w->{at} // -1) * 1000);
    is_deeply([grep { $_ != 200 && $_ != 503 } @{$w->{statuses}}], [],
              'stop: only 200 then 503');
    ok(defined $w->{last}{headers}{'retry-after'},
       'stop: 503 carries Retry-After');
    is($w->{last}{headers}{'x-reason'}, 'revocation_unavailable',
       'stop: reason revocation_unavailable');

    my @rv = map { $t->get('/api/x', ticket => $_)->{status} } $R1, $SAM;
    ok(!grep({ $_ == 200 } @rv), 'stop: revoked tickets not 200 while stale')
        or diag("@rv");
    is($t->get('/api/x', ticket => $V)->{status}, 503,
       'stop: still 503 while Redis stays down');

    # same port, the data written again (a restore: rows only)
    $t->start_redis;
    rcmd($t, 'ZADD', "${PRE}jti", $exp, 'jti-r1');
    rcmd($t, 'HSET', "${PRE}sub", 'acme/sam', $cut);
    my $t0 = time;
    $w = watch($t, $V, until => 200);
    ok($w->{reached}, 'restart: valid ticket 200 again');
    note(sprintf 'restart: 200 again after %.0f ms', ($w->{at} // -1) * 1000);
    is(status($t, $R1), 401, 'restart: jti revoked earlier still 401');
    is(status($t, $SAM), 401, 'restart: sub revoked earlier still 401');
}

# ---- Redis paused (SIGSTOP) ---------------------------------------------

{
    my $w = watch($t, $V, until => 200);
    ok($w->{reached}, 'pause: valid 200 before');
    kill 'STOP', $t->redis_pid;
    $w = watch($t, $V, until => 503, limit => $MAX_STALE + 3);
    ok($w->{reached}, 'pause: 503 once stale');
    note(sprintf 'pause: 503 after %.0f ms', ($w->{at} // -1) * 1000);
    is_deeply([grep { $_ != 200 && $_ != 503 } @{$w->{statuses}}], [],
              'pause: only 200 then 503');
    ok(defined $w->{last}{headers}{'retry-after'},
       'pause: 503 carries Retry-After');
    isnt(status($t, $R1), 200, 'pause: revoked jti not 200');

    kill 'CONT', $t->redis_pid;
    $w = watch($t, $V, until => 200);
    ok($w->{reached}, 'pause: 200 again after SIGCONT');
    note(sprintf 'pause: 200 again %.0f ms after SIGCONT',
         ($w->{at} // -1) * 1000);
    is(status($t, $R1), 401, 'pause: revoked jti 401 after resume');
}

# ---- Redis restarted EMPTY: loads only add ------------------------------

{
    my $loads = () = $t->error_log =~ /revocation lists loaded/g;
    $t->stop_redis;
    $t->start_redis;
    # until the gateway has loaded the (empty) lists again, and after:
    # the revocations it held must stay refused
    my $t0 = time;
    my @seen;
    while (time - $t0 < 5) {
        push @seen, status($t, $R1), status($t, $SAM);
        my $n = () = $t->error_log =~ /revocation lists loaded/g;
        last if $n > $loads;
        sleep 0.02;
    }
    my $n = () = $t->error_log =~ /revocation lists loaded/g;
    ok($n > $loads, 'empty restart: the gateway loaded again');
    note(sprintf 'empty restart: reloaded after %.0f ms',
         (time - $t0) * 1000);
    ok(!grep({ $_ == 200 } @seen),
       'empty restart: revoked tickets never 200 meanwhile');
    my $w = watch($t, $V, until => 200);
    ok($w->{reached}, 'empty restart: valid ticket 200');
    is(status($t, $R1), 401, 'empty restart: loaded jti row still 401');
    is(status($t, $SAM), 401, 'empty restart: loaded sub row still 401');

    my $R2 = mint($t, $k, sub => 'ruth', jti => 'jti-r2', exp => $exp);
    is(status($t, $R2), 200, 'empty restart: new ticket 200 before');
    revoke($t, 'jti', 'jti-r2', $exp);
    $w = watch($t, $R2, until => 401);
    ok($w->{reached}, 'empty restart: revocation written after it applied');
    note(sprintf 'empty restart: new revocation landed in %.0f ms',
         ($w->{at} // -1) * 1000);
}

# ---- stream trimmed: a gap forces a full load ---------------------------

{
    my %tk = map { $_ => mint($t, $k, sub => 'tom', jti => "jti-trim-$_",
                              exp => $exp) } 1 .. 5;
    revoke($t, 'jti', "jti-trim-$_", $exp) for 1 .. 3;
    my $w = watch($t, $tk{3}, until => 401);
    ok($w->{reached}, 'trim: entries before the trim applied');
    is(status($t, $tk{4}), 200, 'trim: ticket 4 200 before');

    cmp_ok(rcmd($t, 'XTRIM', 'ticket:events', 'MAXLEN', '0'), '>=', 3,
           'trim: XTRIM MAXLEN 0 removed the entries');
    is(rcmd($t, 'XLEN', 'ticket:events'), 0, 'trim: the stream is empty');
    # a revocation whose entry is trimmed before it can be read ...
    my @t4 = (rcmd($t, 'MULTI'),
              rcmd($t, 'ZADD', "${PRE}jti", $exp, 'jti-trim-4'),
              rcmd($t, 'XADD', 'ticket:events', '*', 'op', 'revoke',
                   'list', 'jti', 'member', 'jti-trim-4', 'value', $exp),
              rcmd($t, 'XTRIM', 'ticket:events', 'MAXLEN', '0'),
              rcmd($t, 'EXEC'));
    # ... and a proper entry for another row
    revoke($t, 'jti', 'jti-trim-5', $exp);

    $w = watch($t, $tk{5}, until => 401);
    ok($w->{reached}, 'trim: the new entry applied');
    $w = watch($t, $tk{4}, until => 401);
    ok($w->{reached}, 'trim: the entry trimmed unread applied too '
                      . '(gap -> full load)')
        or diag('error log since start: '
                . join("\n", grep { /gap in|lists loaded/ }
                             split /\n/, $t->error_log));
    note(sprintf 'trim: row without entry landed in %.0f ms',
         ($w->{at} // -1) * 1000) if $w->{reached};
    is(status($t, $tk{1}), 401, 'trim: earlier entries still 401');

    # an entry written and trimmed away before the gateway could read it,
    # then a later entry: one transaction, so the gap is certain
    my %tk2 = map { $_ => mint($t, $k, sub => 'tom', jti => "jti-trim-$_",
                               exp => $exp) } 6, 7;
    is(status($t, $tk2{6}), 200, 'trim: ticket 6 200 before');
    my @r = (rcmd($t, 'MULTI'),
             rcmd($t, 'ZADD', "${PRE}jti", $exp, 'jti-trim-6'),
             rcmd($t, 'XADD', 'ticket:events', '*', 'op', 'revoke',
                  'list', 'jti', 'member', 'jti-trim-6', 'value', $exp),
             rcmd($t, 'XTRIM', 'ticket:events', 'MAXLEN', '0'),
             rcmd($t, 'ZADD', "${PRE}jti", $exp, 'jti-trim-7'),
             rcmd($t, 'XADD', 'ticket:events', '*', 'op', 'revoke',
                  'list', 'jti', 'member', 'jti-trim-7', 'value', $exp),
             rcmd($t, 'EXEC'));
    ok(ref $r[6] eq 'ARRAY' && !grep({ ref } @{$r[6]}),
       'trim: entry, trim, entry in one MULTI/EXEC');
    $w = watch($t, $tk2{7}, until => 401);
    ok($w->{reached}, 'trim: the entry after the trim applied');
    $w = watch($t, $tk2{6}, until => 401);
    ok($w->{reached}, 'trim: the entry trimmed before it was read applied '
                      . '(gap -> full load)');
}

# ---- reload while revocations flow --------------------------------------

{
    my $N = 60;
    my @flow = map { mint($t, $k, sub => "flow$_", jti => "jti-flow-$_",
                          exp => $exp) } 0 .. $N - 1;
    my $res = $t->dir . '/flow.res';
    my $stop = $t->dir . '/flow.stop';

    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        # the writer and checker: its own Redis connection, no END blocks
        delete $t->{redis_sock};
        open my $fh, '>', $res or POSIX::_exit(1);
        eval {
        $fh->autoflush(1);
        my $after = 0;
        my $end = time + 20;
        for my $i (0 .. $N - 1) {
            last if time > $end;
            revoke($t, 'jti', "jti-flow-$i", $exp);
            my $t0 = time;
            my $st;
            do {
                $st = status($t, $flow[$i]);
                print $fh "poll $i $st\n";
            } until $st == 401 || time - $t0 > 5;
            printf $fh "landed %d %d %.3f %.3f\n", $i, $st, time - $t0,
                   time;
            # every ticket revoked so far (the last ten): never 200 again
            for my $j (($i > 10 ? $i - 10 : 0) .. $i - 1) {
                print $fh "recheck $j ", status($t, $flow[$j]), "\n";
            }
            print $fh "valid ", status($t, $V), "\n";
            $after++ if -e $stop;
            last if $after >= 5;
            sleep 0.01;
        }
        1 } or print $fh "died: $@\n";
        print $fh "end\n";
        close $fh;
        POSIX::_exit(0);
    }

    # reload once a few revocations have gone through
    my $t0 = time;
    sleep 0.02 until time - $t0 > 10
                     || $t->read_file($res) =~ /^landed 3 /m;
    my $r0 = time;
    my $ok = $t->reload;
    my $r1 = time;
    $t->write_file($stop, '');
    ok($ok, 'flow: reload completed while revocations flowed');
    waitpid $pid, 0;
    my $log = $t->read_file($res);
    like($log, qr/^end$/m, 'flow: the writer finished');

    my @landed = $log =~ /^landed (\d+) (\d+) ([\d.]+) ([\d.]+)$/mg;
    my (%landed, @slow, @never, $during, $after);
    while (my ($i, $st, $dt, $at) = splice @landed, 0, 4) {
        $landed{$i} = $dt;
        $during++ if $at >= $r0 && $at - $dt <= $r1;
        $after++ if $at - $dt > $r1;
        push @never, $i if $st != 401;
        push @slow, "$i:$dt" if $dt > 1.5;
    }
    my $count = keys %landed;
    note("flow: $count revocations written across the reload; slowest "
         . sprintf('%.0f ms', 1000 * (sort { $b <=> $a } values %landed)[0]));
    cmp_ok($count, '>=', 10, 'flow: at least ten revocations written');
    note(sprintf 'flow: reload took %.0f ms; %d revocations during it, '
                 . '%d after', ($r1 - $r0) * 1000, $during // 0,
                 $after // 0);
    ok($during && $after, 'flow: revocations written during and after '
                          . 'the reload');
    is_deeply(\@never, [], 'flow: every revocation reached 401');
    my @leak = $log =~ /^(recheck \d+ 200)$/mg;
    is_deeply(\@leak, [], 'flow: no revoked ticket 200 again, at any point');
    my @vbad = $log =~ /^valid (?!200)(\d+)$/mg;
    is_deeply(\@vbad, [], 'flow: valid ticket 200 throughout (no window)');

    my @after = grep { status($t, $flow[$_]) != 401 } sort { $a <=> $b }
                keys %landed;
    is_deeply(\@after, [], 'flow: after the reload every revoked jti 401');
}

$t->done;

###########################################################################
# B: fail open
###########################################################################

{
    my $o = TicketTest->new;
    my $ko = $o->keygen('ES256', 'k1');
    my $ov = mint($o, $ko, sub => 'olga', jti => 'jti-open-valid');
    my $orv = mint($o, $ko, sub => 'olga', jti => 'jti-open-r', exp => $exp);
    $o->start_redis;
    $o->start(conf(extra => 'ticket_revocation_fail open;'), workers => 2);

    my $w = watch($o, $ov, until => 200);
    ok($w->{reached}, 'open: valid 200');
    revoke($o, 'jti', 'jti-open-r', $exp);
    $w = watch($o, $orv, until => 401);
    ok($w->{reached}, 'open: revoked 401');

    # only what is logged from here on: a request before the first load
    # may already have logged "not loaded yet, ticket allowed"
    my $before = length $o->error_log;
    $o->stop_redis;
    my $t0 = time;
    my (@st, $logged);
    while (time - $t0 < $MAX_STALE + 4) {
        push @st, status($o, $ov);
        if (substr($o->error_log, $before)
            =~ /revocation state stale, ticket allowed \(ticket_revocation_fail open\)/)
        {
            $logged = time - $t0;
            last;
        }
        sleep 0.02;
    }
    ok(defined $logged, 'open: "ticket allowed (ticket_revocation_fail '
                        . 'open)" logged once stale');
    note(sprintf 'open: stale logged after %.0f ms', ($logged // -1) * 1000);
    is_deeply([grep { $_ != 200 } @st], [],
              'open: valid ticket 200 all along');
    my @more = map { status($o, $ov) } 1 .. 5;
    is_deeply(\@more, [(200) x 5], 'open: valid ticket 200 after max_stale');
    my $r = $o->get('/api/x', ticket => $orv);
    is($r->{status}, 401, 'open: ticket revoked before the outage still 401');
    is($r->{headers}{'x-reason'}, 'revoked', 'open: reason revoked');
    like(substr($o->error_log, $before),
         qr/\[warn\][^\n]*revocation state stale, ticket allowed/,
         'open: the warning names the stale state');

    $o->done;
}

###########################################################################
# C: the syncing worker killed
###########################################################################

{
    my $d = TicketTest->new;
    my $kd = $d->keygen('ES256', 'k1');
    my $dv = mint($d, $kd, sub => 'dora', jti => 'jti-kill-valid');
    my $dk = mint($d, $kd, sub => 'dora', jti => 'jti-kill', exp => $exp);
    $d->start_redis;
    $d->start(conf(), workers => 2);

    my $w = watch($d, $dv, until => 200);
    ok($w->{reached}, 'kill: valid 200');
    # one line, or more if a starved owner's lease ran out: the last syncs
    my @syncs = $d->error_log =~ /(\d+)#\d+: ticket: this worker now syncs/g;
    ok(scalar @syncs >= 1, 'kill: a worker syncs');
    my $victim = $syncs[-1] // 0;
    ok(grep({ $_ == $victim } $d->worker_pids),
       'kill: the syncing pid is a worker');

    kill 'KILL', $victim;
    my $t0 = time;
    revoke($d, 'jti', 'jti-kill', $exp);
    $w = watch($d, $dk, until => 401);
    ok($w->{reached}, 'kill: revocation after the kill applied');
    note(sprintf 'kill: revocation applied %.0f ms after the kill',
         (time - $t0) * 1000);

    my $t1 = time;
    my @now;
    while (time - $t1 < 5) {
        @now = $d->error_log =~ /(\d+)#\d+: ticket: this worker now syncs/g;
        last if @now > @syncs;
        sleep 0.02;
    }
    ok(@now > @syncs && $now[-1] != $victim,
       'kill: "now syncs" logged again by another pid')
        or diag("syncs: @now");
    ok(grep({ $_ == ($now[-1] // -1) } $d->worker_pids),
       'kill: the new syncing pid is a live worker');
    is(status($d, $dv), 200, 'kill: valid ticket still 200');

    # the harness's check would flag the deliberate kill: the same check,
    # tolerating exactly that one worker's end by signal 9 (and no other)
    $d->stop;
    $d->stop_redis;
    my @bad = $d->log_problems;
    my @killed = grep { /worker process $victim exited on\ signal 9/ } @bad;
    @bad = grep { !/worker process $victim exited on\ signal 9/ } @bad;
    is(scalar @killed, 1, 'kill: the killed worker logged exactly once');
    ok(!@bad, 'kill logs: no other alert, crash or sanitizer report')
        or diag(join "\n", @bad);
}

###########################################################################
# D: a list key of the wrong type (WRONGTYPE)
###########################################################################

{
    my $e = TicketTest->new;
    my $ke = $e->keygen('ES256', 'k1');
    my $n = int(time);
    my $ev = mint($e, $ke, sub => 'eve', tenant => 'acme', iat => $n - 60);
    my $ew = mint($e, $ke, sub => 'wanda', tenant => 'acme',
                  iat => $n - 60);
    my $ej = mint($e, $ke, sub => 'eve', tenant => 'acme', jti => 'jti-wt',
                  exp => $exp);
    $e->start_redis;
    is(rcmd($e, 'SET', "${PRE}sub", 'x'), 'OK', 'wrongtype: sub key is a '
                                               . 'string');
    rcmd($e, 'ZADD', "${PRE}jti", $exp, 'jti-wt');
    $e->start(conf(), workers => 2);

    # wanda would be refused by a valid sub list: she must never pass
    my $t0 = time;
    my (@sw, @sv, @sj, $last);
    while (time - $t0 < $MAX_STALE + 1) {
        push @sw, status($e, $ew);
        push @sj, status($e, $ej);
        $last = $e->get('/api/x', ticket => $ev);
        push @sv, $last->{status};
        sleep 0.02;
    }
    like($e->error_log, qr/WRONGTYPE/, 'wrongtype: the error is logged');
    ok(!grep({ $_ == 200 } @sw, @sj),
       'wrongtype: tickets a valid list could refuse never 200');
    ok(!grep({ $_ == 200 } @sv),
       'wrongtype: nothing passes while the lists cannot be read')
        or diag("@sv");
    is($last->{status}, 503, 'wrongtype: 503 once stale (fail closed)');
    ok(defined $last->{headers}{'retry-after'}, 'wrongtype: Retry-After');

    # fixed properly: the right type, with its stream entry
    my @r = (rcmd($e, 'MULTI'), rcmd($e, 'DEL', "${PRE}sub"),
             rcmd($e, 'HSET', "${PRE}sub", 'acme/wanda', $n),
             rcmd($e, 'XADD', 'ticket:events', '*', 'op', 'revoke', 'list',
                  'sub', 'member', 'acme/wanda', 'value', $n),
             rcmd($e, 'EXEC'));
    ok(ref $r[4] eq 'ARRAY', 'wrongtype: key fixed');
    my $w = watch($e, $ev, until => 200);
    ok($w->{reached}, 'wrongtype: fixed key recovers, valid ticket 200');
    note(sprintf 'wrongtype: 200 %.0f ms after the fix',
         ($w->{at} // -1) * 1000);
    is(status($e, $ew), 401, 'wrongtype: the sub row now refuses wanda');
    is(status($e, $ej), 401, 'wrongtype: the jti row refuses its ticket');

    my $errs = () = $e->error_log =~ /WRONGTYPE/g;
    note("wrongtype: $errs WRONGTYPE lines in the error log");

    $e->done;
}

# ---- helpers ---------------------------------------------------------------

sub mint {
    my ($tt, $key, %a) = @_;
    return $tt->mint(key => $key->{key}, kid => 'k1', kind => 'user', %a);
}

sub rcmd {
    my ($tt, @cmd) = @_;
    return $tt->redis_cmd(@cmd);
}

sub status {
    my ($tt, $tk) = @_;
    return $tt->get('/api/x', ticket => $tk)->{status};
}

# watch($t, $ticket, until => STATUS [, limit => 5]) or for => SECONDS:
# { reached, at (seconds), statuses, times, last }
sub watch {
    my ($tt, $tk, %o) = @_;
    my $limit = $o{for} // $o{limit} // 5;
    my $t0 = time;
    my %w = (statuses => [], times => []);
    while (1) {
        my $now = time - $t0;
        my $r = $tt->get('/api/x', ticket => $tk);
        push @{$w{statuses}}, $r->{status};
        push @{$w{times}}, $now;
        $w{last} = $r;
        if (defined $o{until} && $r->{status} == $o{until}) {
            $w{reached} = 1;
            $w{at} = $now;
            last;
        }
        last if time - $t0 > $limit;
        sleep 0.02;
    }
    return \%w;
}

sub first_not {
    my ($w, $st) = @_;
    for my $i (0 .. $#{$w->{statuses}}) {
        return $w->{times}[$i] if $w->{statuses}[$i] != $st;
    }
    return -1;
}

# the row and its stream entry, atomically, as the SPEC's table says
sub revoke {
    my ($tt, $list, $member, $value) = @_;
    my @row = $list eq 'jti'
            ? ('ZADD', "${PRE}jti", $value, $member)
            : ('HSET', "$PRE$list", $member, $value);
    my @r = (rcmd($tt, 'MULTI'), rcmd($tt, @row),
             rcmd($tt, 'XADD', 'ticket:events', '*', 'op', 'revoke',
                  'list', $list, 'member', $member, 'value', $value),
             rcmd($tt, 'EXEC'));
    die "revoke $list $member: " . explain(\@r) unless ref $r[3] eq 'ARRAY'
        && !grep { ref } @{$r[3]};
}
