package TicketTest;

# Test helpers for t/*.t: a temp prefix, free ports, a real nginx with the
# module, a waited-for redis-server, raw HTTP, ticketctl, hand-built tickets,
# and the log checks every test ends with ([alert], a worker that exited on
# a signal, sanitizer reports).  Perl core modules only.
#
# Environment:
#   TICKET_BUILD   build directory (default: build)
#   TICKET_MODULE  module .so to load (default: $TICKET_BUILD/nginx/objs/...)
#   TICKET_NGINX   nginx binary (default: /usr/sbin/nginx)
#   TICKET_REDIS   Redis server binary (default: /usr/bin/redis-server;
#                  the matrix runs /usr/bin/valkey-server too)
#   TICKETCTL      ticketctl binary (default: $TICKET_BUILD/ticketctl)
#   SAN=1          the build has ASan/UBSan: preload the runtime into nginx
#   TICKET_KEEP=1  keep the temp directory

use strict;
use warnings;

use Exporter qw(import);
use File::Temp qw(tempdir);
use File::Spec;
use Cwd qw(abs_path);
use IO::Socket::INET;
use IO::Select;
use POSIX qw(WNOHANG);
use Time::HiRes qw(time sleep);
use MIME::Base64 qw(encode_base64 decode_base64);
use Digest::SHA qw(hmac_sha256 hmac_sha384 hmac_sha512 sha256_hex);
use Test::More;
use JSON::PP ();

our @EXPORT_OK = qw(b64url b64url_decode hs_token hs1_token json_str);

my $root = abs_path(File::Spec->catdir(__FILE__, '..', '..', '..'));
my @all;

sub build_dir {
    my $b = $ENV{TICKET_BUILD} // "$root/build";
    return $b =~ m{^/} ? $b : "$root/$b";
}

sub new {
    my ($class, %opt) = @_;
    my $dir = tempdir('ticket-t-XXXXXX', TMPDIR => 1,
                      CLEANUP => !$ENV{TICKET_KEEP});
    chmod 0755, $dir;
    mkdir "$dir/logs";
    mkdir "$dir/san";
    chmod 0777, "$dir/san";
    my $self = bless {
        dir    => $dir,
        nginx  => $ENV{TICKET_NGINX} // '/usr/sbin/nginx',
        module => $ENV{TICKET_MODULE}
                  // build_dir() . '/nginx/objs/ngx_http_ticket_module.so',
        ctl    => $ENV{TICKETCTL} // build_dir() . '/ticketctl',
        ports  => {},
        owner  => $$,
    }, $class;
    push @all, $self;
    return $self;
}

sub dir { $_[0]{dir} }

# the nginx under test's version as nginx.h writes it: 1.29.4 is 1029004
sub nginx_version {
    my ($self) = @_;
    my $v = `$self->{nginx} -v 2>&1`;
    my @v = $v =~ m{nginx/(\d+)\.(\d+)\.(\d+)} or die "nginx -v: $v\n";
    return $v[0] * 1000000 + $v[1] * 1000 + $v[2];
}
sub ctl { $_[0]{ctl} }

# A free TCP port on loopback, stable per name within a test.
sub port {
    my ($self, $name) = @_;
    $name //= 'main';
    return $self->{ports}{$name} if $self->{ports}{$name};
    for (1 .. 50) {
        my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                      LocalPort => 0, Proto => 'tcp',
                                      Listen => 1, ReuseAddr => 0) or next;
        my $p = $s->sockport;
        close $s;
        next if grep { $_ == $p } values %{$self->{ports}};
        return $self->{ports}{$name} = $p;
    }
    die "no free port\n";
}

sub write_file {
    my ($self, $name, $content, $mode) = @_;
    my $path = $name =~ m{^/} ? $name : "$self->{dir}/$name";
    open my $fh, '>', $path or die "open $path: $!\n";
    binmode $fh;
    print $fh $content;
    close $fh;
    chmod $mode, $path if defined $mode;
    return $path;
}

sub read_file {
    my ($self, $name) = @_;
    my $path = $name =~ m{^/} ? $name : "$self->{dir}/$name";
    open my $fh, '<', $path or return '';
    binmode $fh;
    local $/;
    my $c = <$fh>;
    close $fh;
    return $c // '';
}

# ---- ticketctl -----------------------------------------------------------

sub run_cmd {
    my ($self, @cmd) = @_;
    my $out = "$self->{dir}/cmd.out";
    my $err = "$self->{dir}/cmd.err";
    my $pid = fork // die "fork: $!\n";
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', $out;
        open STDERR, '>', $err;
        exec @cmd or exit 127;
    }
    waitpid $pid, 0;
    my $rc = $? >> 8;
    $rc = 128 + ($? & 127) if $? & 127;
    return ($rc, $self->read_file($out), $self->read_file($err));
}

sub ticketctl {
    my ($self, @args) = @_;
    die "ticketctl not built: $self->{ctl}\n" unless -x $self->{ctl};
    return $self->run_cmd($self->{ctl}, @args);
}

# A test CA in the test dir: NAME-ca.pem and NAME-ca.key; then a P-256
# certificate NAME.pem/NAME.key signed by CA with the extensions EXT
# (an openssl -extfile text): tls_ca('test'); tls_cert('test', 'redis',
# "subjectAltName=IP:127.0.0.1\n")
sub _openssl {
    my ($self, @args) = @_;
    my ($rc, undef, $e) = $self->run_cmd('openssl', @args);
    die "openssl @args: $e\n" if $rc != 0;
}

sub tls_ca {
    my ($self, $name) = @_;
    my $d = $self->{dir};
    $self->_openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt',
                    'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
                    '-subj', "/CN=$name test CA", '-keyout',
                    "$d/$name-ca.key", '-out', "$d/$name-ca.pem");
    return "$d/$name-ca.pem";
}

sub tls_cert {
    my ($self, $ca, $name, $ext) = @_;
    my $d = $self->{dir};
    $self->_openssl('req', '-newkey', 'ec', '-pkeyopt',
                    'ec_paramgen_curve:P-256', '-nodes', '-subj',
                    "/CN=$name", '-keyout', "$d/$name.key", '-out',
                    "$d/$name.csr");
    $self->write_file("$name.ext", $ext);
    $self->_openssl('x509', '-req', '-in', "$d/$name.csr", '-CA',
                    "$d/$ca-ca.pem", '-CAkey', "$d/$ca-ca.key",
                    '-CAcreateserial', '-days', '2', '-extfile',
                    "$d/$name.ext", '-out', "$d/$name.pem");
    return ("$d/$name.pem", "$d/$name.key");
}

# keygen into the test dir; returns { key, pub, jwks } paths
sub keygen {
    my ($self, $alg, $kid, @more) = @_;
    my $out = "$self->{dir}/keys";
    my ($rc, $o, $e) = $self->ticketctl('keygen', '--alg', $alg,
                                        '--kid', $kid, '--out', $out,
                                        @more);
    die "ticketctl keygen $alg $kid failed ($rc): $e\n" if $rc != 0;
    chmod 0755, $out;
    return { key => "$out/$kid.key", pub => "$out/$kid.pub",
             jwks => "$out/$kid.jwks" };
}

# mint a ticket: mint(key => FILE, kid => K, sub => S, kind => user, ...)
sub mint {
    my ($self, %a) = @_;
    my @args = ('mint');
    for my $k (qw(key kid alg sub kind tenant roles iss sid jti ttl iat nbf
                  exp)) {
        push @args, "--$k", $a{$k} if defined $a{$k};
    }
    for my $aud (ref $a{aud} ? @{$a{aud}} : defined $a{aud} ? ($a{aud}) : ()) {
        push @args, '--aud', $aud;
    }
    for my $c (@{$a{claim} // []}) {
        push @args, '--claim', $c;
    }
    my ($rc, $o, $e) = $self->ticketctl(@args);
    die "ticketctl mint failed ($rc): $e\n" if $rc != 0;
    $o =~ s/\s+\z//;
    return $o;
}

# ---- hand-built tickets --------------------------------------------------

sub b64url {
    my $s = encode_base64($_[0], '');
    $s =~ tr{+/}{-_};
    $s =~ s/=+\z//;
    return $s;
}

sub b64url_decode {
    my $s = $_[0];
    $s =~ tr{-_}{+/};
    $s .= '=' x ((4 - length($s) % 4) % 4);
    return decode_base64($s);
}

# JSON string literal for hand-written claims
sub json_str {
    my $s = shift;
    $s =~ s/(["\\])/\\$1/g;
    $s =~ s/([\x00-\x1f])/sprintf('\\u%04x', ord $1)/ge;
    return qq{"$s"};
}

# header and claims as raw JSON text, HMAC-signed with $secret
sub hs_token {
    my ($header, $claims, $secret, $bits) = @_;
    $bits //= 256;
    my $in = b64url($header) . '.' . b64url($claims);
    my $mac = $bits == 512 ? hmac_sha512($in, $secret)
            : $bits == 384 ? hmac_sha384($in, $secret)
            : hmac_sha256($in, $secret);
    return "$in." . b64url($mac);
}

# hs1_token($secret, claim => value, ...): a ticket signed with the HS256
# key "hs1" ("ticket_key hs1 HS256 FILE", FILE holding $secret), its
# claims as canonical JSON; a claim given again overrides the earlier one
sub hs1_token {
    my ($secret, %c) = @_;
    return hs_token('{"alg":"HS256","kid":"hs1"}',
                    JSON::PP->new->canonical->encode(\%c), $secret);
}

# ---- nginx ---------------------------------------------------------------

# The configuration: the test gives the http{} body (and may give more
# top-level text); %%PORT%%, %%PORT:name%%, %%DIR%% are replaced.
sub conf_text {
    my ($self, $http, %opt) = @_;
    my $text = "load_module $self->{module};\n"
             . "error_log $self->{dir}/logs/error.log "
             . ($opt{log_level} // 'info') . ";\n"
             . "pid $self->{dir}/logs/nginx.pid;\n"
             . "worker_processes " . ($opt{workers} // 1) . ";\n"
             . "daemon " . ($opt{daemon} ? 'on' : 'off') . ";\n"
             . ($ENV{SAN} ? "env LD_PRELOAD;\nenv ASAN_OPTIONS;\n"
                            . "env UBSAN_OPTIONS;\n" : '')
             . ($opt{main} // '')
             . "events { worker_connections 1024; }\n"
             . "http {\n"
             . "    access_log $self->{dir}/logs/access.log;\n"
             . "    client_body_temp_path $self->{dir}/client_body_temp;\n"
             . "    proxy_temp_path $self->{dir}/proxy_temp;\n"
             . "    fastcgi_temp_path $self->{dir}/fastcgi_temp;\n"
             . "    uwsgi_temp_path $self->{dir}/uwsgi_temp;\n"
             . "    scgi_temp_path $self->{dir}/scgi_temp;\n"
             . $http . "\n}\n";
    return $self->expand($text);
}

sub expand {
    my ($self, $text) = @_;
    $text =~ s/%%PORT:(\w+)%%/$self->port($1)/ge;
    $text =~ s/%%PORT%%/$self->port('main')/ge;
    $text =~ s/%%DIR%%/$self->{dir}/g;
    return $text;
}

sub env_for_nginx {
    my ($self) = @_;
    my %env;
    if ($ENV{SAN}) {
        chomp(my $asan = `gcc -print-file-name=libasan.so`);
        chomp(my $ubsan = `gcc -print-file-name=libubsan.so`);
        $env{LD_PRELOAD} = "$asan $ubsan";
        $env{ASAN_OPTIONS} = "detect_leaks=0:log_path=$self->{dir}/san/asan"
                           . ":abort_on_error=1"
                           . ($self->{asan_extra} // '');
        $env{UBSAN_OPTIONS} = "print_stacktrace=1:halt_on_error=1"
                            . ":log_path=$self->{dir}/san/ubsan";
    }
    return %env;
}

# nginx -t: returns (exit code, output)
sub nginx_test {
    my ($self, $http, %opt) = @_;
    $self->write_file('nginx.conf', $self->conf_text($http, %opt));
    local %ENV = (%ENV, $self->env_for_nginx);
    my ($rc, $o, $e) = $self->run_cmd($self->{nginx}, '-p', $self->{dir},
                                      '-c', "$self->{dir}/nginx.conf", '-t');
    return ($rc, $o . $e);
}

sub start {
    my ($self, $http, %opt) = @_;
    $self->write_file('nginx.conf', $self->conf_text($http, %opt));
    $self->{conf_opt} = \%opt;
    my %env = $self->env_for_nginx;
    my $pid = fork // die "fork: $!\n";
    if ($pid == 0) {
        $ENV{$_} = $env{$_} for keys %env;
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', "$self->{dir}/logs/stderr.log";
        open STDERR, '>>', "$self->{dir}/logs/stderr.log";
        # wrapper: a program nginx runs under, e.g. valgrind
        exec @{$opt{wrapper} // []}, $self->{nginx}, '-p', $self->{dir},
             '-c', "$self->{dir}/nginx.conf";
        exit 127;
    }
    $self->{pid} = $pid;

    if ($opt{daemon}) {
        # as in production: nginx forks away; the master is in the pid file
        # (a binary upgrade, USR2, needs a master whose parent has left)
        waitpid $pid, 0;
        my $end = time + 10;
        my $master;
        while (time < $end) {
            ($master) = $self->read_file('logs/nginx.pid') =~ /(\d+)/;
            last if $master;
            sleep 0.02;
        }
        die "nginx did not start: " . $self->read_file('logs/stderr.log')
            . $self->read_file('logs/error.log') . "\n" unless $master;
        $self->{pid} = $master;
        $self->{daemon} = 1;
    }

    my @ports = @{$opt{wait_ports} // [$self->port('main')]};
    for my $p (@ports) {
        $self->wait_port($p, $opt{wait}) or die "nginx did not listen on $p: "
            . $self->read_file('logs/stderr.log')
            . $self->read_file('logs/error.log') . "\n";
    }
    return $self;
}

sub wait_port {
    my ($self, $port, $timeout) = @_;
    my $end = time + ($timeout // 10);
    while (time < $end) {
        if (defined $self->{pid} && !$self->{daemon}
            && waitpid($self->{pid}, WNOHANG) == $self->{pid}) {
            delete $self->{pid};
            return 0;
        }
        my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
                                      Proto => 'tcp');
        if ($s) { close $s; return 1; }
        sleep 0.02;
    }
    return 0;
}

sub worker_pids {
    my ($self) = @_;
    return () unless $self->{pid};
    my @pids;
    for my $f (glob "/proc/[0-9]*/stat") {
        open my $fh, '<', $f or next;
        my $st = <$fh> // '';
        close $fh;
        push @pids, $1 if $st =~ /^(\d+) \(.*?\) \S (\d+)/
                          && $2 == $self->{pid};
    }
    return @pids;
}

# "reopening logs" lines so far: the master's and each worker's, a USR1
sub reopened {
    my ($self) = @_;
    my $n = () = $self->error_log =~ /: reopening logs$/mg;
    return $n;
}

# wait until n more processes (master and workers) have reopened since
# `before`: a record is in the new file only once its worker reopened
sub wait_reopened {
    my ($self, $before, $n) = @_;
    return poll(sub { $self->reopened >= $before + $n }, 10);
}

# how long a reload or a stop may take: 15 s, or the start's longer wait
# (valgrind, a leak check in every exiting process)
sub settle_time {
    my ($self) = @_;
    my $w = $self->{conf_opt}{wait} // 0;
    return $w > 15 ? $w : 15;
}

# HUP with a new configuration (or the same); waits for the new workers
sub reload {
    my ($self, $http, %opt) = @_;
    $self->write_file('nginx.conf',
                      $self->conf_text($http, %{$self->{conf_opt}}, %opt))
        if defined $http;
    my $before = () = $self->read_file('logs/error.log')
                      =~ /reconfiguring/g;
    my %old = map { $_ => 1 } $self->worker_pids;
    kill 'HUP', $self->{pid};
    my $end = time + $self->settle_time;
    while (time < $end) {
        my $log = $self->read_file('logs/error.log');
        my $n = () = $log =~ /reconfiguring/g;
        if ($n > $before) {
            # new workers up and old ones gone (or the reload failed)
            my @now = $self->worker_pids;
            return 1 if @now && !grep { $old{$_} } @now;
            return 0 if $log =~ /\[emerg\][^\n]*\n[^\n]*$/
                        && !grep { !$old{$_} } @now;
        }
        sleep 0.05;
    }
    return 0;
}

sub stop {
    my ($self) = @_;
    return unless $self->{pid};
    kill 'QUIT', $self->{pid};
    my $end = time + $self->settle_time;
    while (time < $end) {
        if ($self->{daemon}) {
            last unless kill 0, $self->{pid};
        } else {
            last if waitpid($self->{pid}, WNOHANG) == $self->{pid};
        }
        sleep 0.02;
    }
    if (kill 0, $self->{pid}) {
        kill 'KILL', $self->{pid};
        waitpid $self->{pid}, 0 unless $self->{daemon};
        $self->{stop_problem} = 'nginx did not stop on QUIT';
    }
    delete $self->{pid};
}

# Stop nginx (and redis) and check the logs: one test.
sub done {
    my ($self) = @_;
    $self->stop;
    $self->stop_redis;
    my @bad = $self->log_problems;
    ok(!@bad, 'logs: no alert, no crashed worker, no sanitizer report')
        or diag(join "\n", @bad);
}

# A line the test caused on purpose (a worker it killed): not a problem.
sub expect_log {
    my ($self, $re) = @_;
    push @{$self->{expected_log}}, $re;
}

sub log_problems {
    my ($self) = @_;
    my @bad;
    push @bad, $self->{stop_problem} if $self->{stop_problem};
    my $log = $self->read_file('logs/error.log')
            . $self->read_file('logs/stderr.log');
    for my $line (split /\n/, $log) {
        next if grep { $line =~ $_ } @{$self->{expected_log} // []};
        push @bad, $line if $line =~ /\[alert\]|exited\ on\ signal|
                                      AddressSanitizer|LeakSanitizer|
                                      runtime\ error:/x;
    }
    for my $f (glob "$self->{dir}/san/*") {
        push @bad, "sanitizer report $f:\n" . $self->read_file($f);
    }
    return @bad;
}

sub error_log { $_[0]->read_file('logs/error.log') }

# ---- HTTP ----------------------------------------------------------------

# http($raw_request [, port]) -> raw response text
sub http {
    my ($self, $req, $port) = @_;
    $port //= $self->port('main');
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
                                  Proto => 'tcp', Timeout => 5)
        or return '';
    $s->autoflush(1);
    print $s $req;
    my $sel = IO::Select->new($s);
    my $resp = '';
    my $end = time + 10;
    while (time < $end) {
        last unless $sel->can_read($end - time);
        my $n = sysread $s, my $buf, 65536;
        last unless $n;
        $resp .= $buf;
    }
    close $s;
    return $resp;
}

# get($uri, [headers...], port => P, method => M) -> hashref
#   { status, headers => { lc name => value (last) }, raw_headers, body }
sub get {
    my ($self, $uri, %o) = @_;
    my $method = delete $o{method} // 'GET';
    my $port = delete $o{port};
    my $host = delete $o{host} // 'localhost';
    my $req = "$method $uri HTTP/1.1\r\nHost: $host\r\nConnection: close\r\n";
    my $hdrs = delete $o{headers} // [];
    for (my $i = 0; $i < @$hdrs; $i += 2) {
        $req .= "$hdrs->[$i]: $hdrs->[$i + 1]\r\n";
    }
    if (defined(my $t = delete $o{ticket})) {
        $req .= "Authorization: Bearer $t\r\n";
    }
    $req .= "\r\n";
    return parse_response($self->http($req, $port));
}

sub parse_response {
    my ($raw) = @_;
    my ($head, $body) = split /\r\n\r\n/, $raw, 2;
    $head //= '';
    my ($status) = $head =~ m{^HTTP/1\.[01] (\d{3})};
    my %h;
    for my $line (split /\r\n/, $head) {
        $h{lc $1} = $2 if $line =~ /^([^:]+):\s*(.*)$/;
    }
    return { status => $status // 0, headers => \%h, raw_headers => $head,
             body => $body // '', raw => $raw };
}

# get_until($uri, $ticket, $want, $limit): GET with the ticket until the
# status is WANT or LIMIT seconds (default 5) passed: the last response
sub get_until {
    my ($self, $uri, $ticket, $want, $limit) = @_;
    my $t0 = time;
    my $r;
    while (1) {
        $r = $self->get($uri, ticket => $ticket);
        last if $r->{status} == $want || time - $t0 > ($limit // 5);
        sleep 0.01;
    }
    return $r;
}

# get_from($from, $uri, ticket => T | header => 'Name: value'): the status
# of a GET sent from the local address FROM (nginx listening on 127.0.0.2
# ... too), for the rules that count a ticket's client addresses; 0 for no
# answer
sub get_from {
    my ($self, $from, $uri, %o) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => "$from:" . $self->port('main'),
                                  LocalAddr => $from, Proto => 'tcp',
                                  Timeout => 5) or return 0;
    my $hdr = defined $o{ticket} ? "Authorization: Bearer $o{ticket}\r\n" : '';
    $hdr .= "$o{header}\r\n" if defined $o{header};
    print $s "GET $uri HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
           . "$hdr\r\n";
    my $resp = '';
    my $sel = IO::Select->new($s);
    while ($sel->can_read(10)) {
        my $n = sysread $s, my $buf, 65536;
        last unless $n;
        $resp .= $buf;
    }
    return $resp =~ m{^HTTP/1\.1 (\d+)} ? $1 : 0;
}

# metric($name, label => value, ...): the value ticket_status (at /status)
# gives the line NAME{label="value",...} (the labels in the order given;
# NAME may carry them itself), undef where there is no such line
sub metric {
    my ($self, $name, @labels) = @_;
    my @l;
    while (my ($k, $v) = splice @labels, 0, 2) {
        push @l, qq{$k="$v"};
    }
    $name .= '{' . join(',', @l) . '}' if @l;
    my $body = $self->get('/status')->{body};
    return $body =~ /^\Q$name\E (\S+)$/m ? $1 : undef;
}

# records($file): the JSON lines of logs/FILE (an audit log), decoded; a
# line that is not JSON (one being written while a test polls) left out
sub records {
    my ($self, $file) = @_;
    my $json = JSON::PP->new;
    return map { eval { $json->decode($_) } // () }
           $self->read_file("logs/" . ($file // 'audit.jsonl')) =~ /[^\n]+/g;
}

# udp_listener($name): a UDP socket on 127.0.0.1 at the port NAME
# ("syslog:server=127.0.0.1:%%PORT:NAME%%" sends there); a port picked
# free for TCP but taken for UDP is given up for another
sub udp_listener {
    my ($self, $name) = @_;
    for (1 .. 20) {
        my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                      LocalPort => $self->port($name),
                                      Proto => 'udp');
        return $s if $s;
        delete $self->{ports}{$name};
    }
    die "no UDP port: $!\n";
}

# ---- redis ---------------------------------------------------------------

sub start_redis {
    my ($self, %opt) = @_;
    my $port = $self->port('redis');
    my $bin = $ENV{TICKET_REDIS} // '/usr/bin/redis-server';
    die "redis-server not found: $bin\n" unless -x $bin;
    my $pid = fork // die "fork: $!\n";
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', "$self->{dir}/logs/redis.log";
        open STDERR, '>&', \*STDOUT;
        exec $bin, '--port', $port, '--bind', '127.0.0.1',
             '--save', '', '--appendonly', 'no', '--dir', $self->{dir},
             @{$opt{args} // []};
        exit 127;
    }
    $self->{redis_pid} = $pid;
    $self->{redis_port} = $port;
    delete $self->{redis_sock};
    my $end = time + 10;
    while (time < $end) {
        my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port");
        if ($s) {
            print $s "*1\r\n\$4\r\nPING\r\n";
            my $r = <$s> // '';
            close $s;
            return $port if $r =~ /PONG|NOAUTH/;
        }
        sleep 0.02;
    }
    die "redis-server did not start: " . $self->read_file('logs/redis.log');
}

# A Sentinel (redis-server --sentinel) watching master NAME at
# 127.0.0.1:MASTER_PORT, held as this object's Redis: redis_cmd talks to
# it, stop_redis stops it.  start_sentinel(MASTER_PORT, name => 'mymaster',
# quorum => 2, down_after => 1000, failover_timeout => 3000, extra => TEXT:
# more lines for sentinel.conf)
sub start_sentinel {
    my ($self, $master_port, %opt) = @_;
    my $port = $self->port('redis');
    my $bin = $ENV{TICKET_REDIS} // '/usr/bin/redis-server';
    die "redis-server not found: $bin\n" unless -x $bin;
    my $name = $opt{name} // 'mymaster';
    # Sentinel rewrites its file: one per Sentinel, in its own directory
    my $conf = $self->write_file('sentinel.conf', join '',
        "port $port\n", "bind 127.0.0.1\n", "dir $self->{dir}\n",
        "sentinel resolve-hostnames no\n",
        "sentinel monitor $name 127.0.0.1 $master_port "
            . ($opt{quorum} // 2) . "\n",
        "sentinel down-after-milliseconds $name "
            . ($opt{down_after} // 1000) . "\n",
        "sentinel failover-timeout $name "
            . ($opt{failover_timeout} // 3000) . "\n",
        "sentinel parallel-syncs $name 1\n", $opt{extra} // '');
    my $pid = fork // die "fork: $!\n";
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', "$self->{dir}/logs/sentinel.log";
        open STDERR, '>&', \*STDOUT;
        exec $bin, $conf, '--sentinel';
        exit 127;
    }
    $self->{redis_pid} = $pid;
    $self->{redis_port} = $port;
    delete $self->{redis_sock};
    my $end = time + 10;
    while (time < $end) {
        my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port");
        if ($s) {
            print $s "*1\r\n\$4\r\nPING\r\n";
            my $r = <$s> // '';
            close $s;
            return $port if $r =~ /PONG|NOAUTH/;
        }
        sleep 0.02;
    }
    die "redis-sentinel did not start: "
        . $self->read_file('logs/sentinel.log');
}

# what this Sentinel knows of master NAME (SENTINEL master): a hash,
# empty when it does not answer
sub sentinel_master {
    my ($self, $name) = @_;
    my $m = eval { $self->redis_cmd('SENTINEL', 'master', $name) };
    return ref $m eq 'ARRAY' ? { @$m } : {};
}

# every Sentinel of @$sentinels knows the others and REPLICAS replicas
# of master NAME (a failover needs both): true or false, asked once
sub sentinels_ready {
    my ($class, $sentinels, $name, $replicas) = @_;
    my $others = @$sentinels - 1;
    return !grep {
        my $i = $_->sentinel_master($name);
        ($i->{'num-other-sentinels'} // 0) != $others
            || ($i->{'num-slaves'} // 0) != $replicas;
    } @$sentinels;
}

sub stop_redis {
    my ($self) = @_;
    return unless $self->{redis_pid};
    delete $self->{redis_sock};
    kill 'CONT', $self->{redis_pid};
    kill 'TERM', $self->{redis_pid};
    waitpid $self->{redis_pid}, 0;
    delete $self->{redis_pid};
}

# redis_cmd('HSET', 'ticket:revoked:sub', '/alice', 123) -> reply:
# a scalar for status/integer/bulk (undef for nil), an array ref for
# arrays, { error => text } for errors.  A tiny RESP client, core Perl only.
sub redis_cmd {
    my ($self, @args) = @_;
    my $port = $self->{redis_port} // $self->port('redis');
    my $s = $self->{redis_sock};
    unless ($s && $s->connected) {
        $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
                                   Proto => 'tcp', Timeout => 5)
            or die "redis connect 127.0.0.1:$port: $!\n";
        binmode $s;
        $self->{redis_sock} = $s;
    }
    my $req = '*' . scalar(@args) . "\r\n";
    $req .= '$' . length($_) . "\r\n$_\r\n" for @args;
    print $s $req;
    return _resp_read($s);
}

sub _resp_read {
    my ($s) = @_;
    my $line = <$s>;
    die "redis: connection closed\n" unless defined $line;
    $line =~ s/\r\n\z//;
    my ($t, $rest) = (substr($line, 0, 1), substr($line, 1));
    return $rest if $t eq '+' || $t eq ':';
    return { error => $rest } if $t eq '-';
    if ($t eq '$') {
        return undef if $rest < 0;
        my $buf = '';
        while (length($buf) < $rest + 2) {
            my $n = read($s, $buf, $rest + 2 - length($buf), length($buf));
            die "redis: short read\n" unless $n;
        }
        return substr($buf, 0, $rest);
    }
    if ($t eq '*') {
        return undef if $rest < 0;
        return [ map { _resp_read($s) } 1 .. $rest ];
    }
    die "redis: bad reply line '$line'\n";
}

sub redis_pid { $_[0]{redis_pid} }

# poll(sub { COND }, SECONDS): true as soon as COND is, false when SECONDS
# (default 20) pass first; a plain function, TicketTest::poll(...)
sub poll {
    my ($code, $limit) = @_;
    my $end = time + ($limit // 20);
    while (time < $end) {
        return 1 if $code->();
        sleep 0.05;
    }
    return 0;
}

# A real dnsmasq on 127.0.0.1 answering for the names given as its
# --address rules ('/keys.test/127.0.0.1': keys.test and every name below
# it) and nothing else; its queries logged to logs/dnsmasq.log.  Returns
# its port (for "resolver 127.0.0.1:PORT").  stop_dnsmasq stops it; a
# missing dnsmasq fails the test.
sub start_dnsmasq {
    my ($self, @rules) = @_;
    my $port = $self->port('dns');
    my $user = getpwuid($<);
    my $log = "$self->{dir}/logs/dnsmasq.log";
    my $pid = fork // die "fork: $!\n";
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', $log;
        open STDERR, '>>', $log;
        exec 'dnsmasq', '--keep-in-foreground', '--conf-file=/dev/null',
             '--no-resolv', '--no-hosts', '--bind-interfaces',
             '--listen-address=127.0.0.1', "--port=$port", "--user=$user",
             '--pid-file=', '--log-queries', '--log-facility=-',
             map({ "--address=$_" } @rules)
            or exit 127;
    }
    $self->{dns_pid} = $pid;
    # it logs "started" once its socket is bound (dig is not everywhere)
    my $end = time + 10;
    while (time < $end) {
        die "dnsmasq exited: " . $self->read_file('logs/dnsmasq.log') . "\n"
            if waitpid($pid, POSIX::WNOHANG()) == $pid;
        return $port if $self->read_file('logs/dnsmasq.log')
                        =~ /started, version/;
        sleep 0.02;
    }
    die "dnsmasq did not start: " . $self->read_file('logs/dnsmasq.log')
        . "\n";
}

sub stop_dnsmasq {
    my ($self) = @_;
    return unless $self->{dns_pid};
    kill 'TERM', $self->{dns_pid};
    waitpid $self->{dns_pid}, 0;
    delete $self->{dns_pid};
}

# only in the process that made them: a test's forked child (a hostile
# server) that exits must not stop the test's nginx and servers
END {
    local $?;
    for my $t (@all) {
        next if ($t->{owner} // $$) != $$;
        $t->stop if $t->{pid};
        $t->stop_redis if $t->{redis_pid};
        $t->stop_dnsmasq if $t->{dns_pid};
    }
}

1;
