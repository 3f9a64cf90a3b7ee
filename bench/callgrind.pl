#!/usr/bin/perl
# bench/callgrind: instructions per request, under callgrind, which a
# noisy machine does not change.
#
#   perl bench/callgrind.pl [--requests N] [--new-requests M] [--warmup W]
#                           [--cases REGEX] [--top K]
#
# For each case (plain proxy; HS256, RS256 2048, ES256, EdDSA with the
# same ticket every request and with a new one every request, from the
# pools bench/speed uses) nginx runs under `valgrind --tool=callgrind`
# with `master_process off; daemon off;` and the configuration of
# bench/speed (backend in the same process, proxy_pass with keepalive),
# counting only inside ngx_process_events_and_timers (so nothing of
# start-up and exit).  A client sends requests one after another on one
# keepalive connection.  Each case runs twice, with W and with W + N
# requests (two valgrinds at once; N is M for the new-ticket cases,
# where every request does the same public-key work and a valgrind'd
# verify is slow), and its figure is the difference divided by N, so that the first requests' one-time costs (the
# connection, the upstream connection, OpenSSL's lazy set-ups) drop out.
#
# Prints instructions per request and minus plain proxy's, the goal (a
# repeated ticket adds at most 5,000), the hot path figure (ES256
# repeated: over plain proxy, and inclusive in ngx_http_ticket_handler)
# against the one kept in bench/RESULTS.md, and callgrind_annotate's top
# functions for the repeated ticket, per request, with what each adds
# over plain proxy.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use lib "$FindBin::Bin/../t/lib";
use Getopt::Long;
use POSIX qw(_exit WNOHANG);
use Time::HiRes qw(time sleep);
use IO::Socket::INET;
use BenchSetup;
use TicketTest;

my %o = (requests => 2000, 'new-requests' => 400, warmup => 200,
         cases => '.', top => 25);
GetOptions(\%o, 'requests=i', 'new-requests=i', 'warmup=i', 'cases=s',
           'top=i')
    or die "usage: $0 [--requests N] [--new-requests M] [--warmup W] "
         . "[--cases REGEX] [--top K]\n";

for my $tool (qw(valgrind callgrind_annotate)) {
    system("command -v $tool >/dev/null") == 0
        or die "bench/callgrind: $tool is missing (apt-get install "
             . "valgrind)\n";
}

my $t_start = time;
my $pools = BenchSetup::pools();
my @cases = grep { $_->{name} =~ /^(plain(-hs256|-rs256)?|(hs256|rs256|es256|eddsa)-(rep|new)|allowed-rep)$/ }
            @BenchSetup::CASES;
my %want = map { $_->{name} => 1 } grep { $_->{name} =~ /$o{cases}/ } @cases;
$want{$_->{plain}} = 1 for grep { $_->{plain} && $want{$_->{name}} } @cases;
$want{plain} = 1;
@cases = grep { $want{$_->{name}} } @cases;
my $out_dir = BenchSetup::build_dir() . '/bench/callgrind';
system('rm', '-rf', $out_dir);
system('mkdir', '-p', $out_dir);
my $nginx = $ENV{TICKET_NGINX} // '/usr/sbin/nginx';

sub lines {
    my ($file, $n) = @_;
    open my $fh, '<', $file or die "$file: $!\n";
    my @l;
    while (@l < $n) {
        my $line = <$fh>;
        if (!defined $line) {           # go round (a one-ticket file)
            seek $fh, 0, 0;
            next;
        }
        chomp $line;
        push @l, $line if length $line;
    }
    close $fh;
    return @l;
}

# one response on a keepalive connection: its status
sub exchange {
    my ($s, $req) = @_;
    print $s $req;
    my $head = '';
    while ($head !~ /\r\n\r\n/) {
        my $n = sysread $s, $head, 4096, length $head;
        die "connection closed\n" unless $n;
    }
    my ($h, $body) = split /\r\n\r\n/, $head, 2;
    my ($st) = $h =~ m{^HTTP/1\.1 (\d+)};
    my ($len) = $h =~ /\r\nContent-Length: (\d+)/i;
    die "no Content-Length\n" unless defined $len;
    while (length $body < $len) {
        my $n = sysread $s, $body, $len - length $body, length $body;
        die "connection closed\n" unless $n;
    }
    return ($st, $h =~ /\r\nConnection: close/i);
}

# nginx under callgrind serving $n requests of case $c; returns the
# instructions counted, or dies
sub one_run {
    my ($c, $n, $out) = @_;
    my $t = TicketTest->new;
    my $wrap = $t->write_file('valgrind-nginx.sh', <<"EOF", 0755);
#!/bin/sh
exec valgrind --tool=callgrind --callgrind-out-file=$out \\
    --collect-atstart=no --toggle-collect=ngx_process_events_and_timers \\
    --log-file=$t->{dir}/logs/valgrind.log $nginx "\$@"
EOF
    $t->{nginx} = $wrap;
    my $r = eval { serve($t, $c, $n, $out) };
    my $err = $@;
    if ($t->{pid}) {
        kill 'KILL', $t->{pid};
        waitpid $t->{pid}, 0;
        delete $t->{pid};
    }
    system('rm', '-rf', $t->dir) unless $ENV{TICKET_KEEP};
    die $err unless defined $r;
    return $r;
}

sub serve {
    my ($t, $c, $n, $out) = @_;
    $t->{t_start} = time;
    $t->start(BenchSetup::http_conf($pools), workers => 1,
              log_level => 'notice', main => "master_process off;\n",
              wait_ports => []);
    my $t0 = time;
    $t->wait_port($t->port, 300)
        or die "nginx under valgrind did not listen: "
             . $t->read_file('logs/stderr.log') . $t->error_log;
    # one connection after another, as long as nginx keeps each
    # (keepalive_requests, 1000)
    my ($s, %st);
    for my $tk (lines($pools->{pools}{$c->{pool}}, $n)) {
        $s //= IO::Socket::INET->new(PeerAddr => '127.0.0.1:' . $t->port,
                                     Proto => 'tcp') or die "connect: $!\n";
        my ($st, $close) = exchange($s, "GET /$c->{loc}/x HTTP/1.1\r\n"
            . "Host: bench\r\nAuthorization: Bearer $tk\r\n\r\n");
        $st{$st}++;
        if ($close) {
            close $s;
            undef $s;
        }
    }
    close $s if $s;
    my $t1 = time;
    # TERM; a signal does not always cut valgrind's epoll_wait short
    # (it waits for the upstream keepalive timer, 60 s): after a second,
    # a connection wakes it (a few thousand instructions, once)
    kill 'TERM', $t->{pid};
    my $end = time + 300;
    my $wake = time + 1;
    while (time < $end) {
        last if waitpid($t->{pid}, WNOHANG) == $t->{pid};
        if (time > $wake) {
            IO::Socket::INET->new(PeerAddr => '127.0.0.1:' . $t->port);
            $wake = time + 1;
        }
        sleep 0.05;
    }
    delete $t->{pid};
    printf STDERR "    %s %d: start %.1f s, requests %.1f s, exit %.1f s\n",
        $c->{name}, $n, $t0 - $t->{t_start}, $t1 - $t0, time - $t1
        if $ENV{BENCH_DEBUG};
    die "status other than 200: " . join(' ', %st) . "\n"
        if grep { $_ != 200 } keys %st;
    open my $fh, '<', $out or die "no callgrind output $out\n";
    while (<$fh>) {
        return $1 if /^(?:totals|summary):\s+(\d+)/;
    }
    die "no totals in $out\n";
}

sub nreq {
    my ($c) = @_;
    return ($c->{mode} // '') eq 'new' ? $o{'new-requests'} : $o{requests};
}

# both runs of a case at once; returns (I(W), I(W+N))
sub case_runs {
    my ($c) = @_;
    my @pids;
    for my $n ($o{warmup}, $o{warmup} + nreq($c)) {
        my $pid = fork // die "fork: $!\n";
        if ($pid == 0) {
            my $res = "$out_dir/$c->{name}.$n.res";
            my $r = eval { one_run($c, $n, "$out_dir/$c->{name}.$n.out") };
            open my $fh, '>', $res;
            print $fh defined $r ? "$r\n" : "error: $@";
            close $fh;
            _exit(0);
        }
        push @pids, [$pid, $n];
    }
    my @r;
    for my $p (@pids) {
        waitpid $p->[0], 0;
        open my $fh, '<', "$out_dir/$c->{name}.$p->[1].res"
            or die "bench/callgrind: $c->{name}: no result\n";
        my $line = <$fh> // '';
        close $fh;
        die "bench/callgrind: $c->{name} ($p->[1] requests): $line"
            unless $line =~ /^(\d+)$/;
        push @r, $1;
    }
    return @r;
}

# callgrind_annotate's function list: function => instructions, self
# (summed over the files a function's code comes from) or inclusive (the
# largest entry of the function)
sub annotate {
    my ($file, $inclusive) = @_;
    my %f;
    my $cmd = "callgrind_annotate --auto=no --threshold=100 "
            . ($inclusive ? '--inclusive=yes ' : '') . "$file 2>/dev/null";
    my $in = 0;
    for (`$cmd`) {
        if (/^Ir\s+file:function/) { $in = 1; next; }
        next unless $in && /^\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(\S.*?)\s*$/;
        my ($n, $fn) = ($1, $2);
        $n =~ tr/,//d;
        my $obj = $fn =~ s{\s+\[(?:\S*/)?([^/\]]+)\]$}{} ? $1 : undef;
        $fn =~ s/^.*://;                # the file
        $fn .= " [$obj]" if $obj && $fn =~ /^0x/;
        if ($inclusive) {
            $f{$fn} = $n if !$f{$fn} || $n > $f{$fn};
        } else {
            $f{$fn} += $n;
        }
    }
    return \%f;
}

# per request, per function: (W+N run - W run) / N
sub per_request_functions {
    my ($name, $inclusive) = @_;
    my ($c) = grep { $_->{name} eq $name } @cases;
    my $n = nreq($c);
    my $f = annotate("$out_dir/$name.$o{warmup}.out", $inclusive);
    my $g = annotate("$out_dir/$name." . ($o{warmup} + $n) . ".out",
                     $inclusive);
    my %d;
    for my $fn (keys %$g) {
        $d{$fn} = ($g->{$fn} - ($f->{$fn} // 0)) / $n;
    }
    return \%d;
}

# the functions whose self instructions per request grow most from case
# $from to case $to
sub print_delta {
    my ($from, $to, $k) = @_;
    my $f = per_request_functions($from, 0);
    my $g = per_request_functions($to, 0);
    my %delta = map { $_ => ($g->{$_} // 0) - ($f->{$_} // 0) }
                (keys %$f, keys %$g);
    my @more = grep { $delta{$_} >= 20 }
               sort { $delta{$b} <=> $delta{$a} } keys %delta;
    for my $fn (@more[0 .. ($#more < $k - 1 ? $#more : $k - 1)]) {
        printf "  %+8.0f  %s\n", $delta{$fn}, $fn;
    }
    my $sum = 0;
    $sum += $delta{$_} for keys %delta;
    printf "  %+8.0f  all functions\n", $sum;
}

my %ipr;
for my $c (@cases) {
    my $t0 = time;
    my ($i1, $i2) = case_runs($c);
    $ipr{$c->{name}} = ($i2 - $i1) / nreq($c);
    printf "  %-10s %9.0f instructions a request (%.0f s)\n", $c->{name},
           $ipr{$c->{name}}, time - $t0;
}

sub plain_of { $ipr{$_[0]{plain} // $_[0]{name}} }
printf "\ncallgrind, instructions per request (%d requests, %d with new "
     . "tickets, after %d; keepalive connections):\n", $o{requests},
       $o{'new-requests'}, $o{warmup};
printf "%-12s %12s %12s\n", 'case', 'instr/req', '+ vs plain';
for my $c (@cases) {
    printf "%-12s %12.0f %12s\n", $c->{name}, $ipr{$c->{name}},
           $c->{name} =~ /^plain/ ? '-'
               : sprintf('%+.0f', $ipr{$c->{name}} - plain_of($c));
}

my @goals;
for my $c (grep { ($_->{mode} // '') eq 'rep' } @cases) {
    my $extra = $ipr{$c->{name}} - plain_of($c);
    push @goals, [$extra <= 5000, sprintf('%s repeated ticket adds %.0f '
        . 'instructions <= 5,000 over plain proxy', $c->{alg}, $extra)];
}

# the hot path: ES256 repeated (else the first repeated case)
my ($hot) = grep { $_->{name} eq 'es256-rep' } @cases;
($hot) = grep { ($_->{mode} // '') eq 'rep' } @cases unless $hot;
if ($hot) {
    my $self = per_request_functions($hot->{name}, 0);
    my $incl = per_request_functions($hot->{name}, 1);
    my $pself = per_request_functions($hot->{plain}, 0);
    my ($handler) = grep { $_ eq 'ngx_http_ticket_handler' } keys %$incl;
    my $over = $ipr{$hot->{name}} - plain_of($hot);
    my $in_handler = $handler ? $incl->{$handler} : 0;
    printf "\nhot path (%s, a verified-ticket cache hit): %.0f "
         . "instructions a request over plain proxy; %.0f inside "
         . "ngx_http_ticket_handler\n", $hot->{name}, $over, $in_handler;
    if (open my $fh, '<', "$FindBin::Bin/RESULTS.md") {
        while (<$fh>) {
            if (/^hot-path-instructions:\s*(\d+)/) {
                printf "  bench/RESULTS.md keeps %d: now %+.1f%%\n", $1,
                       100 * ($over - $1) / $1;
            }
        }
        close $fh;
    }

    printf "\ntop functions of %s, self instructions per request "
         . "(callgrind_annotate), and the change from plain proxy:\n",
           $hot->{name};
    my @top = (sort { $self->{$b} <=> $self->{$a} } keys %$self)
              [0 .. $o{top} - 1];
    for my $fn (grep { defined } @top) {
        printf "  %8.0f %+8.0f  %s\n", $self->{$fn},
               $self->{$fn} - ($pself->{$fn} // 0), $fn;
    }
    print "\nwhat the ticket check adds, by function (self instructions "
        . "per request over $hot->{plain}, >= 20):\n";
    print_delta($hot->{plain}, $hot->{name}, 25);
    my @mod = grep { /^(ngx_http_ticket_|ticket_)/ && $incl->{$_} >= 20 }
              sort { $incl->{$b} <=> $incl->{$a} } keys %$incl;
    print "\nthe module's functions, inclusive instructions per request:\n";
    printf "  %8.0f  %s\n", $incl->{$_}, $_ for @mod[0 .. ($#mod < 14
                                                           ? $#mod : 14)];
}

# OpenSSL alone: bench/lib/verifycount verifies, under callgrind, the
# first W and W + M tickets of the case's own pool (hashing the input, a
# context a verify, as the gateway does): the difference / M covers the
# very tickets the nginx runs' difference covers (an Ed25519 or ECDSA
# verify costs more or less by the signature, by 1% and more)
sub verify_instructions {
    my ($alg, $key, $pool) = @_;
    my $bin = BenchSetup::helper_bin('verifycount');
    my @i;
    for my $n ($o{warmup}, $o{warmup} + $o{'new-requests'}) {
        my $out = "$out_dir/verify-$alg.$n.out";
        system("valgrind --tool=callgrind --callgrind-out-file=$out "
             . "--collect-atstart=no --toggle-collect=verify_loop "
             . "$bin $alg $key $pool $n 2>/dev/null") == 0
            or die "bench/callgrind: verifycount $alg failed\n";
        open my $fh, '<', $out or die "$out: $!\n";
        while (<$fh>) { push @i, $1 if /^totals:\s+(\d+)/; }
        close $fh;
    }
    return ($i[1] - $i[0]) / $o{'new-requests'};
}

my @vrows;
for my $c (grep { ($_->{mode} // '') eq 'new' } @cases) {
    my ($kid) = grep { $BenchSetup::KEYS{$_} eq $c->{alg} }
                keys %BenchSetup::KEYS;
    my $v = verify_instructions($c->{alg}, $pools->{keys}{$kid}{pub},
                                $pools->{pools}{$c->{pool}});
    push @vrows, [$c, $v];
}
if (@vrows) {
    print "\na new ticket against OpenSSL's own verify of it "
        . "(bench/lib/verifycount, instructions):\n";
    printf "%-6s %12s %12s %8s %12s\n", 'alg', 'verify', 'new - plain',
           'ratio', 'beyond it';
    for my $r (@vrows) {
        my ($c, $v) = @$r;
        my $extra = $ipr{$c->{name}} - plain_of($c);
        printf "%-6s %12.0f %12.0f %8.2f %+12.0f\n", $c->{alg}, $v, $extra,
               $extra / $v, $extra - $v;
        push @goals, [$extra - $v <= 15000, sprintf('%s new ticket costs '
            . '%.0f instructions beyond its verify <= 15,000', $c->{alg},
            $extra - $v)];
    }
    print "  beyond it: what a cache miss costs outside the signature "
        . "(parsing, JSON, allocations, the cache insert)\n";
}

# a new ticket without public-key work: HS256, new over repeated
if ($ipr{'hs256-new'} && $ipr{'hs256-rep'}) {
    print "\nwhat a new ticket adds over a repeated one (hs256-new over "
        . "hs256-rep, the cache miss path without public-key work), self "
        . "instructions per request:\n";
    print_delta('hs256-rep', 'hs256-new', 30);
}

# the operation log: an allowed record a request, over the same repeated
# ticket without one
if ($ipr{'allowed-rep'} && $ipr{'hs256-rep'}) {
    my $rec = $ipr{'allowed-rep'} - $ipr{'hs256-rep'};
    print "\nan allowed record (allowed-rep over hs256-rep), self "
        . "instructions per request:\n";
    print_delta('hs256-rep', 'allowed-rep', 20);

    # nginx's $request_id, which the record carries (SPEC) and nginx
    # makes once a request, on first use: RAND_bytes(16), then hex
    my $ri = per_request_functions('allowed-rep', 1);
    my $rs = per_request_functions('allowed-rep', 0);
    my $hi = per_request_functions('hs256-rep', 1);
    my $hs = per_request_functions('hs256-rep', 0);
    my $rid = (($ri->{RAND_bytes} // 0) - ($hi->{RAND_bytes} // 0))
            + (($rs->{ngx_hex_dump} // 0) - ($hs->{ngx_hex_dump} // 0));
    printf "  of which nginx's \$request_id (RAND_bytes inclusive, "
         . "ngx_hex_dump): %.0f; the rest, the module's: %.0f\n", $rid,
           $rec - $rid;
    push @goals, [$rec <= 10000, sprintf('an allowed record costs %.0f '
        . 'instructions <= 10,000 (%.0f of them nginx\'s $request_id, '
        . '%.0f the module\'s)', $rec, $rid, $rec - $rid)];
}

print "\ngoals:\n";
printf "  %-6s %s\n", $_->[0] ? 'met' : 'MISSED', $_->[1] for @goals;
printf "bench/callgrind: %.0f s; callgrind files in %s\n", time - $t_start,
       $out_dir;
