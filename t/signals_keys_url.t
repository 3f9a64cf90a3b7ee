#!/usr/bin/perl
# A receiver (ticket_ssf_receiver, ticket_backchannel_logout) whose only
# keys come from a key service (ticket_keys_url): nginx -t takes it, and a
# validly signed SET pushed right after the start, while the first fetch
# of the JWKS is still under way, waits for that fetch as the access phase
# does and is accepted (202) rather than refused for a key not there yet.
# A key the provider rotates in is fetched on the first push that names it
# (unknown kid), and then accepted.  The key service is a real HTTPS server
# on loopback (Perl, IO::Socket::SSL, a CA this test makes) that answers
# every fetch after a pause of a second, so the first push finds no keys.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::SSL;
use JSON::PP;
use POSIX qw(_exit);
use Time::HiRes qw(time sleep);
use TicketTest;
use IdpToken qw(idp_token);

plan(tests => 13);

my $t = TicketTest->new;
my $kd = $t->dir;

sub openssl {
    my (@args) = @_;
    my ($rc, $o, $e) = $t->run_cmd('openssl', @args);
    die "openssl @args: $e\n" if $rc != 0;
}

openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt',
        'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
        '-subj', '/CN=signals test CA', '-keyout', "$kd/ca.key",
        '-out', "$kd/ca.pem");
openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
        '-nodes', '-subj', '/CN=localhost', '-keyout', "$kd/service.key",
        '-out', "$kd/service.csr");
$t->write_file('service.ext', "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
openssl('x509', '-req', '-in', "$kd/service.csr", '-CA', "$kd/ca.pem",
        '-CAkey', "$kd/ca.key", '-CAcreateserial', '-days', '2',
        '-extfile', "$kd/service.ext", '-out', "$kd/service.pem");

$t->start_redis;

my $k = $t->keygen('ES256', 'k1');            # the gateway's tickets
my %idp = map { $_ => $t->keygen('ES256', $_) } qw(idp1 idp2);

sub jwk { decode_json($t->read_file("keys/$_[0].jwks"))->{keys}[0] }

sub publish {
    $t->write_file('jwks.tmp', encode_json({ keys => [ map { jwk($_) }
                                                       @_ ] }));
    rename "$kd/jwks.tmp", "$kd/jwks.json" or die "$!\n";
}

publish('idp1');

my $ksp = $t->port('ks');
my $srv = IO::Socket::SSL->new(LocalAddr => '127.0.0.1', LocalPort => $ksp,
                               Listen => 16, ReuseAddr => 1,
                               SSL_server => 1,
                               SSL_cert_file => "$kd/service.pem",
                               SSL_key_file => "$kd/service.key")
    or die "listen: $SSL_ERROR\n";

my $child = fork // die "fork: $!\n";
if ($child == 0) {
    $SIG{PIPE} = 'IGNORE';
    my $served = 0;
    for (;;) {
        my $c = $srv->accept or next;
        my $req = '';
        while ($req !~ /\r\n\r\n/) {
            my $n = sysread $c, my $buf, 4096;
            last unless $n;
            $req .= $buf;
        }
        # the first answer once a request waits for it (it may wait 3 s: a
        # fixed delay could outlast that on a loaded machine), later ones
        # a second late
        if ($served++) {
            sleep 1;
        } else {
            TicketTest::poll(sub { $t->error_log
                =~ /the push waits for the key service's first document/ }, 5);
        }
        my $doc = $t->read_file('jwks.json');
        open my $log, '>>', "$kd/fetches.log";
        print $log "fetch\n";
        close $log;
        print $c "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                 . 'Content-Length: ' . length($doc)
                 . "\r\nConnection: close\r\n\r\n$doc";
        $c->close(SSL_fast_shutdown => 1);
    }
    _exit(0);
}
close $srv;

END { local $?; if ($child) { kill 'KILL', $child; waitpid $child, 0; } }

my $ISS = 'https://idp.example.com/';
my $AUD = 'https://gw.example.com/ssf';
my $RISC = 'https://schemas.openid.net/secevent/risc/event-type/';
my $BCL = 'http://schemas.openid.net/event/backchannel-logout';

my $conf = <<"EOF";
    ticket_redis 127.0.0.1:%%PORT:redis%% timeout=500ms;
    ticket_keys_trusted_certificate $kd/ca.pem;
    server {
        listen 127.0.0.1:%%PORT%%;
        location /x/ {
            ticket user;
            ticket_keys %%DIR%%/keys/k1.jwks;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
        location = /ssf {
            ticket_keys_url https://localhost:$ksp/jwks.json refresh=1h:1h;
            ticket_issuer $ISS;
            ticket_audience $AUD;
            ticket_ssf_receiver tenant=acme;
        }
        location = /logout {
            ticket_keys_url https://localhost:$ksp/jwks.json refresh=1h:1h;
            ticket_issuer $ISS;
            ticket_audience $AUD;
            ticket_backchannel_logout tenant=acme;
        }
    }
    server {
        listen 127.0.0.1:%%PORT:backend%%;
        location / { return 200 "ok\\n"; }
    }
EOF

my ($rc, $out) = $t->nginx_test($conf);
is($rc, 0, 'nginx -t: a receiver whose only keys come from ticket_keys_url')
    or diag($out);

my $n = 0;

sub set {
    my ($kid, $sub) = @_;
    $n++;
    my $claims = sprintf('{"iss":"%s","jti":"kurl-%d-%d","iat":%d,'
                         . '"aud":"%s","sub_id":{"format":"iss_sub",'
                         . '"iss":"%s","sub":"%s"},"events":{"%s":{}}}',
                         $ISS, $$, $n, time, $AUD, $ISS, $sub,
                         $RISC . 'account-disabled');
    return idp_token(qq({"typ":"secevent+jwt","alg":"ES256","kid":"$kid"}),
                     $claims, $idp{$kid}{key}, 'ES256');
}

sub post {
    my ($uri, $type, $body) = @_;
    return TicketTest::parse_response($t->http(
        "POST $uri HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
        . "Content-Type: $type\r\nContent-Length: " . length($body)
        . "\r\n\r\n$body"));
}

sub ticket {
    $t->mint(key => $k->{key}, kid => 'k1', sub => $_[0], kind => 'user',
             tenant => 'acme', ttl => '10m');
}

# the SETs are signed before the start: the first push comes at once
my $first = set('idp1', 'alice');
my $alice = ticket('alice');

$t->start($conf, workers => 2);

my $r = post('/ssf', 'application/secevent+jwt', $first);
is($r->{status}, 202,
   'the first push, while the first JWKS fetch is under way: 202');
is($t->read_file('fetches.log') =~ tr/\n//, 1,
   'it waited for that fetch (one so far, for both receivers\' source)');
like($t->error_log, qr/\[info\].*the push waits for the key service's first document/,
     'the wait is logged');
ok(defined $t->redis_cmd('HGET', 'ticket:revoked:sub', 'acme/alice'),
   'the sub row is in Redis');

my $st;
for (1 .. 100) {
    $st = $t->get('/x/', ticket => $alice)->{status};
    last if $st == 401;
    sleep 0.05;
}
is($st, 401, 'alice\'s ticket is refused after the push');

# ---- a forged SET is still refused -----------------------------------------

(my $forged = set('idp1', 'bob')) =~ s/\.[^.]+$/.AAAA/;
$r = post('/ssf', 'application/secevent+jwt', $forged);
is($r->{status}, 400, 'a SET with a bad signature: 400');

# ---- back-channel logout with the service's keys ---------------------------

$n++;
my $lt = idp_token('{"typ":"logout+jwt","alg":"ES256","kid":"idp1"}',
                   sprintf('{"iss":"%s","jti":"bcl-%d-%d","iat":%d,'
                           . '"exp":%d,"aud":"%s","sub":"carol",'
                           . '"events":{"%s":{}}}', $ISS, $$, $n, time,
                           time + 60, $AUD, $BCL),
                   $idp{idp1}{key}, 'ES256');
$r = post('/logout', 'application/x-www-form-urlencoded',
          "logout_token=$lt");
is($r->{status}, 200, 'a logout token verified with the service\'s keys');

# ---- the provider rotates in a key: fetched on first use -------------------

publish('idp1', 'idp2');
my $accepted = 0;
my $tries = 0;
my $end = time + 30;
while (time < $end && !$accepted) {
    $tries++;
    $r = post('/ssf', 'application/secevent+jwt', set('idp2', "dave$tries"));
    $accepted = $r->{status} == 202;
    sleep 0.2 unless $accepted;
}
ok($accepted, 'a SET under a rotated-in kid is accepted once fetched');
diag("rotated-in kid accepted after $tries pushes");
ok(defined $t->redis_cmd('HGET', 'ticket:revoked:sub', "acme/dave$tries"),
   'its row is in Redis');
like($t->error_log, qr/\[notice\][^\n]*keys of "[^"]*jwks.json" changed: added "idp2" \(ES256\)/,
     'the rotation is a notice');
cmp_ok($t->read_file('fetches.log') =~ tr/\n//, '<=', 3,
       'fetches: the first, and the unknown kid\'s (rate-limited)');

$t->done;
