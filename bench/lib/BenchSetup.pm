package BenchSetup;

# What bench/speed.pl and bench/callgrind.pl share: the keys, the ticket
# pools (minted by bench/lib/mintpool.c, kept in $TICKET_BUILD/bench/pool
# for a day), the nginx configuration with one location per case and the
# backend in the same worker, the cases themselves, and small /proc and
# HTTP helpers.  On top of t/lib/TicketTest.pm (temp prefix, ports, nginx,
# redis).

use strict;
use warnings;
use File::Basename qw(dirname);
use Cwd qw(abs_path);
use IO::Socket::INET;
use POSIX qw(floor);
use Time::HiRes qw(time sleep);

our $root = abs_path(dirname(__FILE__) . '/../..');

use lib dirname(__FILE__) . '/../../t/lib';
use TicketTest;

sub build_dir { TicketTest::build_dir() }

# Tickets live a day; the configuration accepts that lifetime.
our $TTL = 86400;
our $POOL_MAX_AGE = 20 * 3600;

# The cases.  loc: the location (one per key; the repeated and the new
# ticket of an algorithm share it); pool: which pool file feeds wrk
# (rep-*.txt hold one ticket).  base: what the case is compared against.
# The cases.  loc: the location (one per key; the repeated and the new
# ticket of an algorithm share it); pool: which pool file feeds wrk
# (rep-*.txt hold one ticket); plain: the plain-proxy case it is measured
# against, which sends a ticket of the same length (nginx's own header
# parsing grows with it: an RS256 ticket is 256 bytes longer than an
# ES256 one); base: another case it is compared with.
our @CASES = (
    { name => 'plain',        loc => 'plain', pool => 'rep-es256',
      what => 'plain proxy, no ticket check (an ES256 ticket is sent, '
            . 'unread; the base of ES256, EdDSA)' },
    { name => 'plain-hs256',  loc => 'plain', pool => 'rep-hs256',
      what => 'plain proxy, an HS256 ticket sent (the base of HS256)' },
    { name => 'plain-rs256',  loc => 'plain', pool => 'rep-rs256',
      what => 'plain proxy, an RS256 ticket sent (the base of RS256)' },
    { name => 'plain-es384',  loc => 'plain', pool => 'rep-es384',
      what => 'plain proxy, an ES384 ticket sent (the base of ES384)' },
    { name => 'hs256-rep',    loc => 'hs256', pool => 'rep-hs256',
      alg => 'HS256', mode => 'rep', plain => 'plain-hs256' },
    { name => 'hs256-new',    loc => 'hs256', pool => 'hs256',
      alg => 'HS256', mode => 'new', plain => 'plain-hs256' },
    { name => 'rs256-rep',    loc => 'rs256', pool => 'rep-rs256',
      alg => 'RS256', mode => 'rep', plain => 'plain-rs256' },
    { name => 'rs256-new',    loc => 'rs256', pool => 'rs256',
      alg => 'RS256', mode => 'new', plain => 'plain-rs256' },
    { name => 'es256-rep',    loc => 'es256', pool => 'rep-es256',
      alg => 'ES256', mode => 'rep', plain => 'plain' },
    { name => 'es256-new',    loc => 'es256', pool => 'es256',
      alg => 'ES256', mode => 'new', plain => 'plain' },
    { name => 'eddsa-rep',    loc => 'eddsa', pool => 'rep-eddsa',
      alg => 'EdDSA', mode => 'rep', plain => 'plain' },
    { name => 'eddsa-new',    loc => 'eddsa', pool => 'eddsa',
      alg => 'EdDSA', mode => 'new', plain => 'plain' },
    { name => 'revoked-rep',  loc => 'rev',   pool => 'rep-es256',
      plain => 'plain', base => 'es256-rep',
      what => 'ES256 repeated, revocation on, 100,000 revoked jtis' },
    { name => 'revoked-new',  loc => 'rev',   pool => 'es256',
      plain => 'plain', base => 'es256-new',
      what => 'ES256 new, revocation on, 100,000 revoked jtis' },
    { name => 'audit-new',    loc => 'audit', pool => 'audit',
      plain => 'plain-hs256', base => 'hs256-new',
      what => 'HS256 new, audit log on, 5% bad signature + 5% no role' },
    { name => 'allowed-rep',  loc => 'allowed', pool => 'rep-hs256',
      plain => 'plain-hs256', base => 'hs256-rep',
      what => 'HS256 repeated, an allowed record a request (the operation log)' },
    { name => 'es384-new',    loc => 'es384', pool => 'es384',
      alg => 'ES384', mode => 'new', plain => 'plain-es384' },
    { name => 'es384-bad',    loc => 'es384', pool => 'es384-bad',
      plain => 'plain-es384', base => 'es384-new',
      what => 'ES384 new, every signature bad (a flood of forgeries)' },
);

# name => [alg, key id, count, bad %, no-role %]
our %POOLS = (
    'hs256'     => ['HS256', 'h1', 50_000, 0, 0],
    'rs256'     => ['RS256', 'r1', 50_000, 0, 0],
    'es256'     => ['ES256', 'e1', 50_000, 0, 0],
    'eddsa'     => ['EdDSA', 'd1', 50_000, 0, 0],
    'audit'     => ['HS256', 'h1', 50_000, 5, 5],
    'es384'     => ['ES384', 'e3', 20_000, 0, 0],
    'es384-bad' => ['ES384', 'e3', 50_000, 100, 0],
    'rep-hs256' => ['HS256', 'h1', 1, 0, 0],
    'rep-rs256' => ['RS256', 'r1', 1, 0, 0],
    'rep-es256' => ['ES256', 'e1', 1, 0, 0],
    'rep-eddsa' => ['EdDSA', 'd1', 1, 0, 0],
    'rep-es384' => ['ES384', 'e3', 1, 0, 0],
);

our %KEYS = (           # kid => alg
    h1 => 'HS256', r1 => 'RS256', e1 => 'ES256', d1 => 'EdDSA',
    e3 => 'ES384',
);

sub run {
    my (@cmd) = @_;
    system(@cmd) == 0 or die "failed ($?): @cmd\n";
}

sub mintpool_bin { helper_bin('mintpool') }

# bench/lib/NAME.c built into $TICKET_BUILD/bench/NAME
sub helper_bin {
    my ($name) = @_;
    my $bin = build_dir() . "/bench/$name";
    my $src = "$root/bench/lib/$name.c";
    if (!-x $bin || -M $bin > -M $src) {
        system('mkdir', '-p', dirname($bin));
        run('cc', '-O2', '-o', $bin, $src, '-lcrypto');
    }
    return $bin;
}

# Keys and pools, minted when missing, older than $POOL_MAX_AGE, or
# $fresh.  Returns { dir, keys => { kid => { priv, pub } }, pools =>
# { name => file } }.
sub pools {
    my (%o) = @_;
    my $dir = build_dir() . '/bench/pool';
    my $stamp = "$dir/created";
    my $created = 0;
    if (open my $fh, '<', $stamp) { $created = <$fh> // 0; chomp $created; }
    my $now = time;
    my $keys_ok = !$o{fresh} && $created && $now - $created < $POOL_MAX_AGE;
    my %keys = map { $_ => { priv => "$dir/keys/$_.key",
                             pub => $KEYS{$_} =~ /^HS/ ? "$dir/keys/$_.key"
                                                       : "$dir/keys/$_.pub" } }
               keys %KEYS;
    $keys_ok &&= -s $keys{$_}{pub} for keys %KEYS;
    my %pools = map { $_ => "$dir/$_.txt" } keys %POOLS;
    my @missing = grep { !-s $pools{$_} } sort keys %POOLS;
    return { dir => $dir, keys => \%keys, pools => \%pools }
        if $keys_ok && !@missing;

    my $t0 = time;
    print "bench: minting ticket pools into $dir (kept a day)\n";
    my $ctl = $ENV{TICKETCTL} // build_dir() . '/ticketctl';
    if (!$keys_ok) {
        system('rm', '-rf', $dir);
        system('mkdir', '-p', $dir);
        mkdir "$dir/keys", 0700;
        for my $kid (sort keys %KEYS) {
            my $alg = $KEYS{$kid};
            if ($alg eq 'RS256') {
                # RSA 2048 (keygen makes 3072), the size most issuers use
                run('openssl', 'genpkey', '-quiet', '-algorithm', 'RSA',
                    '-pkeyopt', 'rsa_keygen_bits:2048',
                    '-out', "$dir/keys/$kid.key");
                run('openssl', 'pkey', '-in', "$dir/keys/$kid.key",
                    '-pubout', '-out', "$dir/keys/$kid.pub");
            } else {
                run("$ctl keygen --alg $alg --kid $kid --out $dir/keys "
                    . ">/dev/null");
            }
        }
        chmod 0755, "$dir/keys";
        $created = int($now);
        @missing = sort keys %POOLS;
    }
    my $bin = mintpool_bin();
    # every pool expires with the keys: a day after they were made
    my $iat = $created - 60;
    for my $p (@missing) {
        my ($alg, $kid, $n, $bad, $norole) = @{$POOLS{$p}};
        run("$bin $alg $dir/keys/$kid.key $kid $n $iat " . ($iat + $TTL)
            . " $bad $norole 2 > $dir/$p.txt.tmp");
        rename "$dir/$p.txt.tmp", "$dir/$p.txt" or die "rename: $!\n";
    }
    open my $fh, '>', $stamp or die "$stamp: $!\n";
    print $fh "$created\n";
    close $fh;
    printf "bench: pools minted in %.1f s\n", time - $t0;
    return { dir => $dir, keys => \%keys, pools => \%pools };
}

# The http{} body: a backend server answering 200 in the same worker
# (so every case, plain proxy included, pays for it), and one location
# per case behind proxy_pass with keepalive to the backend.
#   redis => PORT      ticket_redis (revocation on only in /rev/)
#   audit => PATH      the audit log of /audit/
sub http_conf {
    my ($pools, %o) = @_;
    my $k = $pools->{keys};
    my $redis = $o{redis} ? "ticket_redis 127.0.0.1:$o{redis} timeout=1s;\n"
                          . "    ticket_revocation off;" : '';
    my $audit = $o{audit} // '%%DIR%%/logs/audit.jsonl';
    # BENCH_ALERTS=1: both ticket_alert rules on every ticket location (a
    # repeated ticket then counts its jti and address in the alert zone)
    my $common = "ticket user;\n"
               . "            ticket_audience orders;\n"
               . "            ticket_require_role reader;\n"
               . ($ENV{BENCH_ALERTS}
                  ? "            ticket_alert over_privilege 5/10m;\n"
                    . "            ticket_alert shared_ticket 3/1h;\n" : '')
               . "            proxy_pass http://backend;";
    my $loc = sub {
        my ($name, $kid, $more) = @_;
        return "        location /$name/ {\n"
             . "            $common\n"
             . "            ticket_key $kid $KEYS{$kid} $k->{$kid}{pub};\n"
             . ($more ? "            $more\n" : '')
             . "        }\n";
    };
    return <<"EOF"
    access_log off;
    ticket_max_lifetime 25h;
    $redis
    upstream backend {
        server 127.0.0.1:%%PORT:backend%%;
        keepalive 32;
    }
    server {
        listen 127.0.0.1:%%PORT:backend%%;
        access_log off;
        location / { return 200 "ok\\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT%% backlog=4096;
        access_log off;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        location /plain/ { proxy_pass http://backend; }
EOF
    . $loc->('hs256', 'h1')
    . $loc->('rs256', 'r1')
    . $loc->('es256', 'e1')
    . $loc->('eddsa', 'd1')
    . $loc->('es384', 'e3')
    . ($o{redis} ? $loc->('rev', 'e1', 'ticket_revocation on;') : '')
    . $loc->('audit', 'h1', "ticket_audit_log $audit;")
    . $loc->('allowed', 'h1', "ticket_audit_log $audit;\n"
             . "            ticket_audit_events denied over_privilege "
             . "excess_privilege allowed;")
    . "        location = /ticket-status { ticket_status; }\n"
    . "    }\n";
}

# ---- /proc ----------------------------------------------------------------

our $HZ = do { my $h = `getconf CLK_TCK 2>/dev/null`; chomp $h; $h || 100 };

# utime + stime of a process, in seconds
sub cpu_seconds {
    my ($pid) = @_;
    open my $fh, '<', "/proc/$pid/stat" or die "/proc/$pid/stat: $!\n";
    my $st = <$fh>;
    close $fh;
    $st =~ s/^.*\) //s;                 # past the command name
    my @f = split ' ', $st;             # f[0] is field 3 (state)
    return ($f[11] + $f[12]) / $HZ;     # fields 14 and 15
}

# VmRSS, RssAnon, RssShmem in kB
sub rss {
    my ($pid) = @_;
    my %r;
    local $_;    # the caller's $_ may alias its pid list (map, for)
    open my $fh, '<', "/proc/$pid/status" or return {};
    while (<$fh>) {
        $r{$1} = $2 if /^(VmRSS|RssAnon|RssShmem|RssFile):\s+(\d+)/;
    }
    close $fh;
    return \%r;
}

# ---- HTTP ------------------------------------------------------------------

sub status_metrics {
    my ($t) = @_;
    my $r = $t->get('/ticket-status');
    my %m;
    for (split /\n/, $r->{body}) {
        next if /^#/;
        $m{$1} = $2 if /^(\S+)\s+(\S+)$/;
    }
    return \%m;
}

sub wait_revocation_entries {
    my ($t, $want, $timeout) = @_;
    my $end = time + ($timeout // 120);
    my $n = -1;
    while (time < $end) {
        $n = status_metrics($t)->{'ticket_revocation_entries{list="jti"}'}
             // -1;
        return $n if $n >= $want;
        sleep 0.2;
    }
    die "revocation zone holds $n jtis, not $want, after "
      . ($timeout // 120) . " s\n";
}

# $n revoked jtis (none of them in a pool) into ticket:revoked:jti, as
# pipelined ZADDs of 1000
sub fill_redis {
    my ($port, $n, $exp) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port")
        or die "redis: $!\n";
    my $sent = 0;
    for (my $i = 0; $i < $n; $i += 1000) {
        my $m = $n - $i < 1000 ? $n - $i : 1000;
        my @args = ('ZADD', 'ticket:revoked:jti');
        push @args, $exp, sprintf('revoked-%08d-%024x', $_, $_ * 7919)
            for $i .. $i + $m - 1;
        my $req = '*' . scalar(@args) . "\r\n";
        $req .= '$' . length($_) . "\r\n$_\r\n" for @args;
        print $s $req;
        $sent++;
    }
    for (1 .. $sent) {
        my $line = <$s>;
        die "redis: " . ($line // 'closed') . "\n"
            unless defined $line && $line =~ /^:/;
    }
    close $s;
}

sub median {
    my @v = sort { $a <=> $b } grep { defined } @_;
    return undef unless @v;
    return @v % 2 ? $v[$#v / 2] : ($v[@v / 2 - 1] + $v[@v / 2]) / 2;
}

# percentile($p, @values): the nearest-rank value at $p percent (0..100)
# of the sorted values, as bench/revocation.pl and bench/fleet.pl report
sub percentile {
    my ($p, @v) = @_;
    @v = sort { $a <=> $b } grep { defined } @v;
    return undef unless @v;
    return $v[int($#v * $p / 100 + 0.5)];
}

# INFO [section] of the redis-server a TicketTest object started, as
# { field => value } (its own connection counts among connected_clients)
sub redis_info {
    my ($t, $section) = @_;
    my $text = $t->redis_cmd('INFO', defined $section ? ($section) : ());
    die "redis INFO: $text->{error}\n" if ref $text;
    my %i;
    for (split /\r?\n/, $text // '') {
        $i{$1} = $2 if /^([a-z_0-9]+):(.*)$/;
    }
    return \%i;
}

# the `openssl speed` verify rates, per second, on a core:
# { HS256, RS256, ES256, ES384, EdDSA } (HS256: HMAC-SHA256 of $bytes)
sub openssl_verify_rates {
    my ($cpu, $seconds, $bytes) = @_;
    my %r;
    my $out = `taskset -c $cpu openssl speed -mr -seconds $seconds ecdsap256 ecdsap384 rsa2048 ed25519 2>/dev/null`;
    for (split /\n/, $out) {
        # +F2:n:bits:sign/s:verify/s   (RSA)
        # +F4:n:bits:sign/s:verify/s   (ECDSA)
        # +F6:n:bits:name:sign/s:verify/s  (EdDSA)
        if (/^\+F2:\d+:2048:[\d.]+:([\d.]+)/) { $r{RS256} = $1 }
        elsif (/^\+F4:\d+:256:[\d.]+:([\d.]+)/) { $r{ES256} = $1 }
        elsif (/^\+F4:\d+:384:[\d.]+:([\d.]+)/) { $r{ES384} = $1 }
        elsif (/^\+F6:\d+:\d+:Ed25519:[\d.]+:([\d.]+)/) { $r{EdDSA} = $1 }
    }
    $out = `taskset -c $cpu openssl speed -mr -seconds $seconds -bytes $bytes -hmac sha256 2>&1`;
    # +R:count:hmac(sha256):seconds
    $r{HS256} = $1 / $2 if $out =~ /^\+R:(\d+):hmac\(sha256\):([\d.]+)/m;
    return \%r;
}

1;
