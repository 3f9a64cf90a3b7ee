#!/usr/bin/perl
# Signal records (issues 17 and 18) in the scope's ticket_audit_format:
# a ticket_ssf_receiver or ticket_backchannel_logout under
# `ticket_audit_format ecs` or `ocsf` writes ECS documents or OCSF events,
# not native records whose string event, host and client conflict with an
# ECS index.  Each document's fields are checked against the schemas' field
# lists (t/fixtures/schemas/, as t/audit_formats.t does), the signal's
# facts where the writers put them (ECS ticket.*, OCSF unmapped.*), on a
# file and a syslog target; an alert record in the same scopes too; and
# `ticketctl audit --event signal` finds them in those files.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use TicketTest;
use JSON::PP;
use IO::Socket::INET;
use IO::Select;
use AuditSchema qw(ecs_problems ocsf_problems);
use Time::HiRes qw(time sleep);

my $t = TicketTest->new;
my $d = $t->dir;

$t->start_redis;

my $k = $t->keygen('ES256', 'k1');
my $secret = 'idp-secret-' . join('', map { chr(97 + int rand 26) } 1 .. 32);
$t->write_file('idp.key', $secret, 0600);

my $ISS = 'https://idp.example.com/123456789/';
my $AUD = 'https://gw.example.com/caep';
my $CAEP = 'https://schemas.openid.net/secevent/caep/event-type/';
my $BCL = 'http://schemas.openid.net/event/backchannel-logout';

my $udp;
for (1 .. 20) {
    $udp = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                 LocalPort => $t->port('syslog'),
                                 Proto => 'udp');
    last if $udp;
    delete $t->{ports}{syslog};
}
die "no UDP port: $!\n" unless $udp;

# the receivers take their format from the scope, as a request's record
my %conf;
for my $f (qw(ecs ocsf)) {
    $conf{$f} = <<"EOF";
        location = /ssf-$f {
            ticket_key idp HS256 %%DIR%%/idp.key;
            ticket_issuer $ISS;
            ticket_audience $AUD;
            ticket_audit_format $f;
            ticket_audit_log %%DIR%%/logs/$f.jsonl;
            ticket_ssf_receiver tenant=acme;
        }
        location = /logout-$f {
            ticket_key idp HS256 %%DIR%%/idp.key;
            ticket_issuer $ISS;
            ticket_audience $AUD;
            ticket_audit_format $f;
            ticket_audit_log %%DIR%%/logs/$f.jsonl;
            ticket_backchannel_logout tenant=acme;
        }
        location /admin-$f/ {
            ticket user;
            ticket_keys %%DIR%%/keys/k1.jwks;
            ticket_require_role admin;
            ticket_alert over_privilege 2/1h;
            ticket_audit_format $f;
            ticket_audit_log %%DIR%%/logs/$f.jsonl;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
EOF
}

$t->start(<<"EOF");
    ticket_redis 127.0.0.1:%%PORT:redis%% timeout=500ms;
    ticket_audit_gateway gw-sig;

    server {
        listen 127.0.0.1:%%PORT%%;
$conf{ecs}$conf{ocsf}
        location = /ssf-syslog {
            ticket_key idp HS256 %%DIR%%/idp.key;
            ticket_issuer $ISS;
            ticket_audience $AUD;
            ticket_audit_format ocsf;
            ticket_audit_log syslog:server=127.0.0.1:%%PORT:syslog%%,tag=sf;
            ticket_ssf_receiver tenant=acme;
        }
    }
    server {
        listen 127.0.0.1:%%PORT:backend%%;
        location / { return 200 "ok\\n"; }
    }
EOF

my $n = 0;

sub set_token {
    my ($sub, %o) = @_;
    $n++;
    my $claims = sprintf('{"iss":%s,"jti":"fmt-%d-%d","iat":%d,"aud":%s,'
                         . '"txn":"8675309","sub_id":{"format":"iss_sub",'
                         . '"iss":%s,"sub":%s},"events":{%s:{}}}',
                         TicketTest::json_str($ISS), $$, $n, time,
                         TicketTest::json_str($AUD),
                         TicketTest::json_str($ISS),
                         TicketTest::json_str($sub),
                         TicketTest::json_str($CAEP . 'session-revoked'));
    return TicketTest::hs_token(
        '{"typ":"secevent+jwt","alg":"HS256","kid":"idp"}', $claims,
        $o{secret} // $secret);
}

sub logout_token {
    my ($sub, $sid) = @_;
    $n++;
    return TicketTest::hs_token(
        '{"typ":"logout+jwt","alg":"HS256","kid":"idp"}',
        sprintf('{"iss":%s,"sub":%s,"aud":%s,"iat":%d,"exp":%d,'
                . '"jti":"lo-%d-%d","sid":%s,"events":{%s:{}}}',
                TicketTest::json_str($ISS), TicketTest::json_str($sub),
                TicketTest::json_str($AUD), time, time + 120, $$, $n,
                TicketTest::json_str($sid), TicketTest::json_str($BCL)),
        $secret);
}

sub post {
    my ($uri, $type, $body) = @_;
    my $req = "POST $uri HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
            . "Content-Type: $type\r\nContent-Length: " . length($body)
            . "\r\n\r\n$body";
    return TicketTest::parse_response($t->http($req));
}

for my $f (qw(ecs ocsf)) {
    is(post("/ssf-$f", 'application/secevent+jwt',
            set_token("ann-$f"))->{status}, 202, "$f: a SET applied: 202");
    is(post("/ssf-$f", 'application/secevent+jwt',
            set_token("bob-$f", secret => 'not-the-idp'))->{status}, 400,
       "$f: a forged SET refused: 400");
    is(post("/logout-$f", 'application/x-www-form-urlencoded',
            'logout_token=' . logout_token("cy-$f", "s-$f"))->{status}, 200,
       "$f: a logout token applied: 200");

    # two refusals of a role: an alert record in the same scope
    my $tk = $t->mint(key => $k->{key}, kid => 'k1', sub => "eve-$f",
                      kind => 'user', tenant => 'acme', roles => 'reader');
    is($t->get("/admin-$f/x", ticket => $tk)->{status}, 403,
       "$f: over_privilege $_") for 1 .. 2;
}
is(post('/ssf-syslog', 'application/secevent+jwt',
        set_token('dee'))->{status}, 202, 'syslog: a SET applied: 202');

my $sel = IO::Select->new($udp);
my $msg = '';
$udp->recv($msg, 65536) if $sel->can_read(5);

$t->stop;

# the schemas' field lists: t/lib/AuditSchema.pm, as t/audit_formats.t

# ---- the files: every line one document of the scope's format ------------

my $json = JSON::PP->new;
my %docs;
for my $f (qw(ecs ocsf)) {
    my @lines = $t->read_file("logs/$f.jsonl") =~ /[^\n]+/g;
    my @d = map { scalar eval { $json->decode($_) } } @lines;
    is(scalar(grep { ref $_ eq 'HASH' } @d), scalar(@lines),
       "$f: every line parses (" . scalar(@lines) . ')');
    $docs{$f} = [grep { ref $_ eq 'HASH' } @d];
}

# ECS: 3 signal records, 2 over_privilege, 1 alert
my @ecs = @{$docs{ecs}};
is(scalar(grep { !ref $_->{event} || !ref $_->{host} || exists $_->{client}
                 || exists $_->{signal} || exists $_->{outcome} } @ecs), 0,
   'ecs: no native string event, host or client at the top, nor signal');
my @bad = map { ecs_problems($_) } @ecs;
ok(!@bad, 'ecs: every field is ECS\'s, with its type') or diag(join "\n", @bad);

my @sig = grep { ref $_->{event} && $_->{event}{action} eq 'signal' } @ecs;
is(scalar @sig, 3, 'ecs: three signal records');
my ($applied) = grep { ($_->{user}{id} // '') eq 'ann-ecs' } @sig;
ok($applied
   && $applied->{ticket}{signal} eq $CAEP . 'session-revoked'
   && $applied->{ticket}{outcome} eq 'applied'
   && $applied->{ticket}{iss} eq $ISS
   && $applied->{ticket}{jti} =~ /^fmt-/
   && $applied->{ticket}{token_fp} =~ /^[0-9a-f]{16}$/
   && $applied->{event}{kind} eq 'event'
   && "@{$applied->{event}{category}}" eq 'iam'
   && "@{$applied->{event}{type}}" eq 'user change'
   && $applied->{event}{outcome} eq 'success'
   && $applied->{event}{reason} eq 'ok'
   && $applied->{user}{domain} eq 'acme'
   && $applied->{http}{response}{status_code} == 202
   && $applied->{url}{path} eq '/ssf-ecs'
   && $applied->{host}{name} eq 'gw-sig',
   'ecs: the applied SET\'s facts') or diag($json->encode($applied // {}));
my ($refused) = grep { ($_->{ticket}{outcome} // '') eq 'refused' } @sig;
ok($refused
   && $refused->{event}{outcome} eq 'failure'
   && "@{$refused->{event}{type}}" eq 'user info'
   && $refused->{event}{reason} eq 'bad_signature'
   && $refused->{http}{response}{status_code} == 400
   && !$refused->{ticket}{verified},
   'ecs: the refused SET: failure, its reason')
    or diag($json->encode($refused // {}));
my ($lo) = grep { ($_->{ticket}{signal} // '') eq $BCL } @sig;
ok($lo && $lo->{ticket}{outcome} eq 'applied'
   && $lo->{user}{id} eq 'cy-ecs' && $lo->{ticket}{sid} eq 's-ecs'
   && $lo->{url}{path} eq '/logout-ecs',
   'ecs: the logout token\'s record') or diag($json->encode($lo // {}));
my ($alert) = grep { ref $_->{event} && $_->{event}{action} eq 'alert' } @ecs;
ok($alert && $alert->{event}{kind} eq 'alert'
   && $alert->{ticket}{count} == 2 && $alert->{user}{id} eq 'eve-ecs',
   'ecs: the alert record, in the scope\'s format');

# OCSF
my @ocsf = @{$docs{ocsf}};
is(scalar(grep { !defined $_->{class_uid} || exists $_->{event}
                 || exists $_->{signal} || exists $_->{outcome} } @ocsf), 0,
   'ocsf: every record an OCSF event, no native member at the top');
@bad = map { ocsf_problems($_) } @ocsf;
ok(!@bad, 'ocsf: every attribute is the class\'s, with its type')
    or diag(join "\n", @bad);

@sig = grep { ($_->{unmapped}{event} // '') eq 'signal' } @ocsf;
is(scalar @sig, 3, 'ocsf: three signal records');
($applied) = grep { ($_->{actor}{user}{uid} // '') eq 'ann-ocsf' } @sig;
ok($applied
   && $applied->{class_uid} == 6003
   && $applied->{activity_id} == 1
   && $applied->{status_id} == 1
   && $applied->{status_code} eq '202'
   && $applied->{status_detail} eq 'ok'
   && $applied->{unmapped}{signal} eq $CAEP . 'session-revoked'
   && $applied->{unmapped}{outcome} eq 'applied'
   && $applied->{unmapped}{iss} eq $ISS
   && $applied->{actor}{user}{domain} eq 'acme'
   && $applied->{http_request}{url}{path} eq '/ssf-ocsf'
   && $applied->{metadata}{sequence} =~ /^\d+$/,
   'ocsf: the applied SET\'s facts') or diag($json->encode($applied // {}));
($refused) = grep { ($_->{unmapped}{outcome} // '') eq 'refused' } @sig;
ok($refused && $refused->{status_id} == 2 && $refused->{severity_id} == 3
   && $refused->{status_detail} eq 'bad_signature',
   'ocsf: the refused SET: Failure, Medium, its reason')
    or diag($json->encode($refused // {}));
($lo) = grep { ($_->{unmapped}{signal} // '') eq $BCL } @sig;
ok($lo && $lo->{unmapped}{outcome} eq 'applied'
   && $lo->{actor}{user}{uid} eq 'cy-ocsf' && $lo->{unmapped}{sid} eq 's-ocsf',
   'ocsf: the logout token\'s record') or diag($json->encode($lo // {}));
($alert) = grep { ($_->{unmapped}{event} // '') eq 'alert' } @ocsf;
ok($alert && $alert->{unmapped}{count} == 2,
   'ocsf: the alert record, in the scope\'s format');

# ---- syslog: the same event a message ------------------------------------

my ($body) = $msg =~ /sf: (\{.*\})$/s;
my $sdoc = eval { $json->decode($body // '') };
ok($sdoc && $sdoc->{class_uid} == 6003 && $sdoc->{unmapped}{event} eq 'signal'
   && $sdoc->{unmapped}{outcome} eq 'applied'
   && $sdoc->{actor}{user}{uid} eq 'dee' && !ocsf_problems($sdoc),
   'syslog: a signal record as an OCSF event') or diag($msg);

# ---- ticketctl audit --event signal reads them ---------------------------

for my $f (qw(ecs ocsf)) {
    my ($rc, $o, $e) = $t->ticketctl('audit', '--event', 'signal',
                                     "$d/logs/$f.jsonl");
    my @l = $o =~ /[^\n]+/g;
    ok($rc == 0 && @l == 3 && $e eq ''
       && !grep({ !/"signal"/ } @l), "ticketctl audit --event signal: $f")
        or diag("rc $rc lines " . scalar(@l) . " $e");
    ($rc, $o) = $t->ticketctl('audit', '--event', 'signal', '--sub',
                              "ann-$f", "$d/logs/$f.jsonl");
    @l = $o =~ /[^\n]+/g;
    ok($rc == 0 && @l == 1 && $l[0] =~ /session-revoked/,
       "ticketctl audit --event signal --sub: $f") or diag($o);
}

my ($rc, $o) = $t->ticketctl('audit', '--check',
                             map { "$d/logs/$_.jsonl" } qw(ecs ocsf));
ok($rc == 0 && $o =~ /^complete: 12 records, 1 writers$/m,
   'ticketctl audit --check over both files: complete') or diag($o);

$t->done;
done_testing();
