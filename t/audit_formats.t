#!/usr/bin/perl
# ticket_audit_format ecs | ocsf (issue 18): the same facts as the native
# record, as documents a SIEM loads as they are.  Every field written is
# checked against the schemas' own field lists (t/fixtures/schemas/, taken
# from elastic/ecs and ocsf/ocsf-schema): it exists there with a
# compatible type, and no object is written where the schema has a
# keyword (ECS event, host, client are objects).  Members without a
# schema field go under ticket. (ECS) or unmapped (OCSF).  A syslog target
# carries the same document.  ticketctl audit reads all three formats.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use TicketTest;
use AuditSchema qw(ecs_problems ocsf_problems ecs_type);
use JSON::PP;
use IO::Select;
use Time::HiRes qw(time sleep);

my $t = TicketTest->new;
my $d = $t->dir;
my $k = $t->keygen('ES256', 'k1');

my $udp = $t->udp_listener('syslog');

my %conf;
for my $f (qw(json ecs ocsf)) {
    $conf{$f} = <<"EOF";
        location /$f/ {
            ticket user;
            ticket_audit_format $f;
            ticket_audit_log %%DIR%%/logs/$f.jsonl;
            ticket_audit_events denied over_privilege excess_privilege allowed;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
        location /$f/admin/ {
            ticket user;
            ticket_require_role admin;
            ticket_audit_format $f;
            ticket_audit_log %%DIR%%/logs/$f.jsonl;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
EOF
}

$t->start(<<"EOF");
    ticket_keys %%DIR%%/keys/k1.jwks;
    ticket_audit_gateway gw-fmt;
    ticket_privileged_roles admin;

    server {
        listen 127.0.0.1:%%PORT%%;
$conf{json}$conf{ecs}$conf{ocsf}
        location /syslog/ {
            ticket user;
            ticket_audit_format ecs;
            ticket_audit_log syslog:server=127.0.0.1:%%PORT:syslog%%,tag=tf;
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

my $reader = $t->mint(key => $k->{key}, kid => 'k1', sub => 'alice',
                      kind => 'user', tenant => 'acme', roles => 'reader',
                      sid => 'dev-1', iss => 'https://idp.example');
my $admin = $t->mint(key => $k->{key}, kid => 'k1', sub => 'root',
                     kind => 'user', roles => 'admin,reader');
# a forged ticket each time: a second presentation would come from the
# failed-signature cache, whose records hold no claims
sub forged {
    my $tk = $t->mint(key => $k->{key}, kid => 'k1', sub => 'alice',
                      kind => 'user', tenant => 'acme', roles => 'reader',
                      jti => 'j-forged');
    substr($tk, -5, 1) = substr($tk, -5, 1) eq 'A' ? 'B' : 'A';
    return $tk;
}
my $bad = forged();

# the same requests through each format
my @reqs = (['x-denied', undef, 401], ['x-allowed', $reader, 200],
            ['admin/x-over', $reader, 403], ['x-excess', $admin, 200],
            ['x-missing', undef, 401]);
for my $f (qw(json ecs ocsf)) {
    $reqs[0][1] = forged();
    for my $r (@reqs) {
        my ($path, $tk, $st) = @$r;
        is($t->get("/$f/$path", defined $tk ? (ticket => $tk) : ())->{status},
           $st, "$f: /$path $st");
    }
}
$t->get('/syslog/x-denied', ticket => $bad);
$t->stop;

my $json = JSON::PP->new;
my %by_uri;
for my $f (qw(json ecs ocsf)) {
    for my $doc ($t->records("$f.jsonl")) {
        my $uri = $f eq 'json' ? $doc->{uri}
                : $f eq 'ecs' ? $doc->{url}{path}
                : $doc->{http_request}{url}{path};
        (my $key = $uri) =~ s{^/\w+/}{/};
        $by_uri{$key}{$f} = $doc;
    }
}
is(scalar(keys %by_uri), scalar(@reqs), 'one record a request and format');

# ---- each format's schema, the native record's facts -------------------

for my $uri (sort keys %by_uri) {
    my ($nat, $ecs, $ocsf) = @{$by_uri{$uri}}{qw(json ecs ocsf)};

    my @bad = ecs_problems($ecs);
    ok(!@bad, "ecs $uri: every field is ECS's, with its type")
        or diag(join "\n", @bad);
    ok(!defined ecs_type('ticket'), 'ecs: ticket. is no ECS field set');

    my $auth = $ocsf->{class_uid} == 3002;
    is($ocsf->{class_uid}, $nat->{event} eq 'denied' ? 3002 : 6003,
       "ocsf $uri: class " . ($nat->{event} eq 'denied'
                              ? 'Authentication' : 'API Activity'));
    @bad = ocsf_problems($ocsf);
    ok(!@bad, "ocsf $uri: every attribute is the class's, with its type")
        or diag(join "\n", @bad);

    # the same facts
    ok($ecs->{'@timestamp'} =~ /^\d{4}-\d\d-\d\dT[\d:.]+Z$/
       && $ecs->{event}{action} eq $nat->{event}
       && $ecs->{event}{reason} eq $nat->{reason}
       && $ecs->{http}{response}{status_code} == $nat->{status}
       && ($ecs->{user}{id} // '-') eq ($nat->{sub} // '-')
       && ($ecs->{user}{domain} // '-') eq ($nat->{tenant} // '-')
       && $ecs->{source}{ip} eq $nat->{client}
       && $ecs->{host}{name} eq 'gw-fmt'
       && ($ecs->{ticket}{jti} // '-') eq ($nat->{jti} // '-')
       && ($ecs->{ticket}{unmet} // '-') eq ($nat->{unmet} // '-')
       && $ecs->{ticket}{writer} =~ /^gw-fmt-/
       && $ecs->{event}{sequence} =~ /^\d+$/,
       "ecs $uri: the native record's facts");
    my $u = $auth ? $ocsf->{user} : $ocsf->{actor}{user};
    ok($ocsf->{unmapped}{event} eq $nat->{event}
       && $ocsf->{status_detail} eq $nat->{reason}
       && $ocsf->{http_response}{code} == $nat->{status}
       && ($u->{uid} // '-') eq ($nat->{sub} // '-')
       && $ocsf->{src_endpoint}{ip} eq $nat->{client}
       && ($uri eq '/x-denied'           # a forged ticket a format
           || ($ocsf->{unmapped}{token_fp} // '-') eq ($nat->{token_fp} // '-'))
       && $ocsf->{metadata}{sequence} =~ /^\d+$/
       && $ocsf->{time} =~ /^\d{13}$/,
       "ocsf $uri: the native record's facts");
}

# ---- syslog: the same document -------------------------------------------

my $sel = IO::Select->new($udp);
my $msg = '';
$udp->recv($msg, 65536) if $sel->can_read(5);
my ($body) = $msg =~ /tf: (\{.*\})$/s;
my $sdoc = eval { $json->decode($body // '') };
ok($sdoc && $sdoc->{ecs}{version} && $sdoc->{event}{action} eq 'denied',
   'syslog: an ECS document a message') or diag($msg);

# ---- ticketctl audit reads all three --------------------------------------

for my $f (qw(json ecs ocsf)) {
    my ($rc, $o, $e) = $t->ticketctl('audit', '--event', 'denied',
                                     "$d/logs/$f.jsonl");
    my $n = () = $o =~ /\n/g;
    ok($rc == 0 && $n == 2 && $e eq '', "ticketctl audit --event denied: $f")
        or diag("rc $rc n $n $e");
    ($rc, $o) = $t->ticketctl('audit', '--top', '3', '--sub', 'alice',
                              "$d/logs/$f.jsonl");
    like($o, qr/^\s*3\s+alice$/m, "ticketctl audit --top --sub: $f");
}

# a writer's seq runs over all its targets: the three files together
my ($rc, $o) = $t->ticketctl('audit', '--check',
                             map { "$d/logs/$_.jsonl" } qw(json ecs ocsf));
ok($rc == 0 && $o =~ /^complete: 15 records, 1 writers$/m,
   'ticketctl audit --check over the three formats: complete') or diag($o);

$t->done;
done_testing();
