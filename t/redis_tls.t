#!/usr/bin/perl

# Redis over TLS, on every platform (Debian 12's hiredis 0.14 has no TLS:
# the module speaks it on nginx's SSL layer, ticketctl with OpenSSL).  A
# redis-server with a TLS port and certificates from a CA this test makes:
# the gateway syncs over TLS and a revocation written by ticketctl over
# rediss:// is refused; a gateway trusting another CA never loads and
# fails closed, logged; with client certificates required, tls_cert and
# tls_key connect and a gateway without them does not.  nginx -t refuses
# the combinations that cannot work.
#
#   TICKET_BUILD=build prove -v t/redis_tls.t

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use TicketTest;
use RevTest;

plan(tests => 34);

my $t = TicketTest->new;
my $d = $t->dir;

# ---- a CA, Redis's certificate, a client certificate, another CA ----------

sub openssl {
    my ($rc, $o, $e) = $t->run_cmd('openssl', @_);
    die "openssl @_: $e\n" if $rc != 0;
}

sub make_ca {
    my ($name) = @_;
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt',
            'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
            '-subj', "/CN=$name test CA", '-keyout', "$d/$name-ca.key",
            '-out', "$d/$name-ca.pem");
}

sub make_cert {
    my ($ca, $name, $ext) = @_;
    openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
            '-nodes', '-subj', "/CN=$name", '-keyout', "$d/$name.key",
            '-out', "$d/$name.csr");
    $t->write_file("$name.ext", $ext);
    openssl('x509', '-req', '-in', "$d/$name.csr", '-CA', "$d/$ca-ca.pem",
            '-CAkey', "$d/$ca-ca.key", '-CAcreateserial', '-days', '2',
            '-extfile', "$d/$name.ext", '-out', "$d/$name.pem");
}

make_ca('test');
make_ca('other');
make_cert('test', 'redis', "subjectAltName=DNS:redis.test,IP:127.0.0.1\n");
make_cert('test', 'gateway', "extendedKeyUsage=clientAuth\n");

# the plain port is the test's own (redis_cmd); everything else uses TLS
my $tport = $t->port('redis_tls');
$t->start_redis(args => ['--tls-port', $tport,
                         '--tls-cert-file', "$d/redis.pem",
                         '--tls-key-file', "$d/redis.key",
                         '--tls-ca-cert-file', "$d/test-ca.pem",
                         '--tls-auth-clients', 'no']);
my $rport = $t->port('redis');

# ---- nginx -t: what cannot work is refused at load --------------------------

sub conf_error {
    my ($redis) = @_;
    my $c = TicketTest->new;
    my ($rc, $out) = $c->nginx_test("    ticket_redis $redis;\n");
    return $rc == 0 ? 'accepted' : $out;
}

like(conf_error("127.0.0.1:$tport tls tls_cert=$d/gateway.pem"),
     qr/with "tls_cert=" needs "tls_key="/, 'nginx -t: tls_cert without '
     . 'tls_key');
like(conf_error("127.0.0.1:$tport tls_ca=$d/test-ca.pem"),
     qr/needs "tls"/, 'nginx -t: tls_ca without tls');
like(conf_error("127.0.0.1:$tport tls tls_ca=$d/missing.pem"),
     qr/missing\.pem/, 'nginx -t: a missing tls_ca names the file');
like(conf_error("127.0.0.1:$tport tls tls_cert=$d/gateway.pem "
                . "tls_key=$d/missing.key"),
     qr/missing\.key/, 'nginx -t: a missing tls_key names the file');
like(conf_error("127.0.0.1:$tport tls tls_cert=$d/gateway.pem "
                . "tls_key=$d/redis.key"),
     qr/tls_key|key values mismatch|SSL_CTX_use_PrivateKey/,
     'nginx -t: a key that is not the certificate\'s');
like(conf_error("unix:$d/redis.sock tls tls_ca=$d/test-ca.pem"),
     qr/TCP only/, 'nginx -t: tls on a unix socket');
like(conf_error("127.0.0.1:$tport username=gw"),
     qr/needs "password_file="/, 'nginx -t: username without a password');
is(conf_error("127.0.0.1:$tport tls tls_ca=$d/test-ca.pem "
              . "tls_cert=$d/gateway.pem tls_key=$d/gateway.key "
              . "tls_name=redis.test"),
   'accepted', 'nginx -t: a full TLS line is accepted');

# ---- the gateway syncs over TLS; ticketctl revokes over rediss:// ----------

my $k = $t->keygen('ES256', 'k1');
$t->start(rev_conf(redis => "127.0.0.1:$tport tls tls_ca=$d/test-ca.pem"));

my $tk = rev_mint($t, $k, sub => 'alice', jti => 'jti-tls');
my $w = rev_watch($t, $tk, until => 200, limit => 10);
ok($w->{reached}, 'TLS: lists loaded, a valid ticket 200');

my @tls = ('--tls-ca', "$d/test-ca.pem");
my ($rc, $out, $err) = $t->ticketctl('revoke', '--redis',
                                     "rediss://127.0.0.1:$tport", @tls,
                                     '--ticket', $tk, '--reason', 'tls');
is($rc, 0, 'ticketctl revoke over rediss:// succeeds') or diag($err);
$w = rev_watch($t, $tk, until => 401, limit => 5);
ok($w->{reached}, 'revoked over TLS: 401 from the gateway');

# the name in the certificate, not the address, when tls_name says so
($rc, undef, $err) = $t->ticketctl('revoke', '--redis',
                                   "rediss://127.0.0.1:$tport", @tls,
                                   '--tls-name', 'redis.test',
                                   '--jti', 'jti-name', '--exp', '+1h');
is($rc, 0, 'ticketctl: --tls-name redis.test verifies') or diag($err);
($rc, undef, $err) = $t->ticketctl('revoke', '--redis',
                                   "rediss://127.0.0.1:$tport", @tls,
                                   '--tls-name', 'other.test',
                                   '--jti', 'jti-name', '--exp', '+1h');
is($rc, 2, 'ticketctl: a name the certificate lacks fails');
like($err, qr/certificate not verified/, '... saying why');

($rc, undef, $err) = $t->ticketctl('revoke', '--redis',
                                   "rediss://127.0.0.1:$tport",
                                   '--tls-ca', "$d/other-ca.pem",
                                   '--jti', 'jti-x', '--exp', '+1h');
is($rc, 2, 'ticketctl: another CA fails, nothing written');
like($err, qr/certificate not verified/, '... certificate not verified');

is_deeply($t->redis_cmd('ZSCORE', 'ticket:revoked:jti', 'jti-x'), undef,
          'ticketctl: nothing written over an unverified connection');


# ---- a gateway that trusts another CA: never loads, fails closed ------------

my $o = TicketTest->new;
$o->{redis_port} = $rport;
my $ok = $o->keygen('ES256', 'k1');
$o->start(rev_conf(redis => "127.0.0.1:$tport tls "
                            . "tls_ca=$d/other-ca.pem"));
my $otk = rev_mint($o, $ok, sub => 'bob', jti => 'jti-other');
$w = rev_watch($o, $otk, for => 2);
is_deeply([grep { $_ != 503 } @{$w->{statuses}}], [],
          'wrong CA: every request 503, never 200');
like($o->error_log,
     qr/ticket redis "127\.0\.0\.1:$tport": TLS handshake failed: certificate not verified/,
     'wrong CA: the error log says the certificate was not verified');
$o->done;

# ---- client certificates required ------------------------------------------

$t->redis_cmd('CONFIG', 'SET', 'tls-auth-clients', 'yes');

my $c = TicketTest->new;
$c->{redis_port} = $rport;
my $ck = $c->keygen('ES256', 'k1');
$c->start(rev_conf(redis => "127.0.0.1:$tport tls tls_ca=$d/test-ca.pem "
                            . "tls_cert=$d/gateway.pem "
                            . "tls_key=$d/gateway.key"));
my $ctk = rev_mint($c, $ck, sub => 'carol', jti => 'jti-client');
$w = rev_watch($c, $ctk, until => 200, limit => 10);
ok($w->{reached}, 'client certificate: loaded, 200');

($rc, undef, $err) = $c->ticketctl('revoke', '--redis',
                                   "rediss://127.0.0.1:$tport", @tls,
                                   '--jti', 'jti-client', '--exp', '+1h');
is($rc, 2, 'ticketctl without a client certificate fails');

($rc, undef, $err) = $c->ticketctl('revoke', '--redis',
                                   "rediss://127.0.0.1:$tport", @tls,
                                   '--tls-cert', "$d/gateway.pem",
                                   '--tls-key', "$d/gateway.key",
                                   '--ticket', $ctk);
is($rc, 0, 'ticketctl with --tls-cert and --tls-key revokes') or diag($err);
$w = rev_watch($c, $ctk, until => 401, limit => 5);
ok($w->{reached}, 'client certificate: the revocation arrives, 401');
$c->done;

# a gateway that writes (ticket_alert ... revoke) over the same TLS
my $a = TicketTest->new;
$a->{redis_port} = $rport;
my $ak = $a->keygen('ES256', 'k1');
$a->start(rev_conf(redis => "127.0.0.1:$tport tls tls_ca=$d/test-ca.pem "
                            . "tls_cert=$d/gateway.pem "
                            . "tls_key=$d/gateway.key",
                   loc => "ticket_require_role admin;\n"
                          . "            ticket_alert over_privilege 2/1h "
                          . "revoke;"));
my $eve = rev_mint($a, $ak, sub => 'eve', roles => 'reader', jti => 'eve-1');
$w = rev_watch($a, $eve, until => 403, limit => 10);
ok($w->{reached}, 'writer over TLS: lists loaded, a reader gets 403');
$w = rev_watch($a, $eve, until => 401, limit => 5);
ok($w->{reached}, 'writer over TLS: the alert\'s revocation of the subject '
   . 'is written and read back, 401');
ok(defined $t->redis_cmd('HGET', 'ticket:revoked:sub', '/eve'),
   'writer over TLS: the sub row is in Redis');
$a->done;

my $n = TicketTest->new;
$n->{redis_port} = $rport;
my $nk = $n->keygen('ES256', 'k1');
$n->start(rev_conf(redis => "127.0.0.1:$tport tls "
                            . "tls_ca=$d/test-ca.pem"));
my $ntk = rev_mint($n, $nk, sub => 'dave', jti => 'jti-none');
$w = rev_watch($n, $ntk, for => 2);
is_deeply([grep { $_ != 503 } @{$w->{statuses}}], [],
          'no client certificate: every request 503, never 200');
my $log = $n->error_log;
like($log, qr/ticket redis "127\.0\.0\.1:$tport": (connection lost|connection closed|TLS handshake failed)/,
     'no client certificate: the error log says the connection failed');
unlike($log, qr/revocation lists loaded/, 'no client certificate: never loaded');
$n->done;

# the first gateway, still running, and Redis
$t->done;
