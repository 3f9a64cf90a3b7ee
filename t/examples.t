#!/usr/bin/perl
# examples/*.conf: each makes its keys with the ticketctl keygen commands
# its header gives, and passes `nginx -t` with the module once its paths
# (/etc/nginx/tickets, /var/log/nginx), host names and ports are rewritten
# to this test's.  user-app.conf also runs: allowed with forwarded claims,
# 401, 403, a revoked session, the audit records.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use TicketTest;

my @examples = qw(multi-tenant.conf service-mesh.conf user-app.conf);

plan(tests => 1 + 3 * @examples + 9 + @examples);

my $root = "$FindBin::Bin/..";
is_deeply([map { s{.*/}{}r } sort glob "$root/examples/*.conf"], \@examples,
          'examples/: exactly the documented examples');

# The example as an http{} body for TicketTest, with this test's paths.
sub rewrite {
    my ($t, $text) = @_;
    my $dir = $t->dir;
    $text =~ s{/etc/nginx/tickets/}{$dir/tickets/}g;
    $text =~ s{/var/log/nginx/}{$dir/logs/}g;
    $text =~ s{\bredis:6379\b}{'127.0.0.1:' . $t->port('redis')}ge;
    $text =~ s{\bbackend:8081\b}{'127.0.0.1:' . $t->port('backend')}ge;
    $text =~ s{^(\s*listen\s+)\d+;}{$1 . '127.0.0.1:' . $t->port('main') . ';'}gme;
    return $text;
}

sub keygen_commands {
    my ($text) = @_;
    return map { [split ' ', $_] } $text =~ /^#\s+ticketctl (keygen .*)$/mg;
}

my %t;
for my $name (@examples) {
    my $t = $t{$name} = TicketTest->new;
    my $dir = $t->dir;
    my $text = $t->read_file("$root/examples/$name");

    my @cmds = keygen_commands($text);
    my @failed;
    for my $cmd (@cmds) {
        my @args = map { s{^/etc/nginx/tickets$}{$dir/tickets}r } @$cmd;
        my ($rc, $o, $e) = $t->ticketctl(@args);
        push @failed, "@$cmd: $e" if $rc != 0;
    }
    chmod 0755, "$dir/tickets";
    ok(@cmds && !@failed, "$name: its keygen commands (" . @cmds . ") run")
        or diag(join "\n", @failed);
    $t->write_file("$dir/tickets/redis.pw", "example-password\n", 0600);

    my @keys = $text =~ /^\s*ticket_keys\s+(\S+);/mg;
    ok(@keys == grep({ -f rewrite($t, $_) } @keys),
       "$name: every ticket_keys file is one its keygen commands make");

    my ($rc, $out) = $t->nginx_test(rewrite($t, $text));
    ok($rc == 0 && $out =~ /test is successful/, "$name: nginx -t")
        or diag($out);
}

# ---- user-app.conf, running --------------------------------------------------

my $t = $t{'user-app.conf'};
my $dir = $t->dir;
$t->start_redis;
$t->start(rewrite($t, $t->read_file("$root/examples/user-app.conf")) . <<'EOF2');
    server {
        listen 127.0.0.1:%%PORT:backend%%;
        location / {
            return 200 "backend $uri sub=$http_x_ticket_sub roles=$http_x_ticket_roles\n";
        }
    }
EOF2

my %base = (key => "$dir/tickets/app-1.key", kid => 'app-1', kind => 'user',
            iss => 'https://login.example.com', aud => 'app');
my $alice = $t->mint(%base, sub => 'alice', roles => 'reader',
                     sid => 'phone-1');
my $bob = $t->mint(%base, sub => 'bob', roles => 'reader,admin');

my $r = $t->get('/api/orders', ticket => $alice);
is($r->{status}, 200, 'user-app: a reader reaches /api/');
like($r->{body}, qr/sub=alice roles=reader/, 'user-app: sub and roles forwarded');
is($t->get('/api/orders')->{status}, 401, 'user-app: no ticket, 401');
is($t->get('/admin/users', ticket => $alice)->{status}, 403,
   'user-app: a reader at /admin/, 403');
is($t->get('/api/orders', ticket => $bob)->{status}, 200,
   'user-app: an admin at /api/ is served');
is($t->get('/health')->{status}, 200, 'user-app: /health needs no ticket');

my ($rc, $o, $e) = $t->ticketctl('revoke', '--redis',
                                 '127.0.0.1:' . $t->port('redis'),
                                 '--sid', 'phone-1', '--reason', 'phone lost');
is($rc, 0, 'user-app: ticketctl revoke --sid') or diag($e);
my $status = 0;
for (1 .. 100) {
    $status = $t->get('/api/orders', ticket => $alice)->{status};
    last if $status == 401;
    select undef, undef, undef, 0.02;
}
is($status, 401, 'user-app: the lost phone\'s ticket is refused');

$t->stop;
my @rec = map { decode_json($_) }
          split /\n/, $t->read_file("$dir/logs/ticket-audit.jsonl");
is_deeply([map { "$_->{event} $_->{reason} " . ($_->{sub} // '-') } @rec],
          ['denied missing -', 'over_privilege insufficient_role alice',
           'excess_privilege excess_privilege bob', 'denied revoked alice'],
          'user-app: audit records: denied, over_privilege, excess_privilege')
    or diag(explain(\@rec));

$t->done;
$t{$_}->done for grep { $_ ne 'user-app.conf' } @examples;
